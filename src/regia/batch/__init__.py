"""Batch pipelines: one job description, a local engine (DuckDB + process pool) and a Spark engine."""
