"""Read-only analytics over the facts (DuckDB): skills needs by territory, sector, occupation and period."""

from regia.analytics.needs import FilterError, Filters, Needs

__all__ = ["FilterError", "Filters", "Needs"]
