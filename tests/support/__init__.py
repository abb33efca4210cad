"""Test support code: a real OpenID provider, live servers on loopback ports, a seeded world of accounts."""
