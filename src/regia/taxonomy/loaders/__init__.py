"""Loaders of the publishers' own files, one module per publisher; each yields per-file reports."""
