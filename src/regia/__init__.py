"""Regia: shared data to steer skills and employment policy."""

__version__ = "0.1.0"
