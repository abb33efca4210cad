"""Once-only identity resolution across sources (Splink): persons and firms."""
