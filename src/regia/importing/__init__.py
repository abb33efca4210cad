"""Shared machinery of every import: counts, quarantine of rejected rows, ledger of what was imported."""
