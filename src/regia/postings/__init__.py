"""Demand side: job postings ingested from job boards and OJA feeds, de-duplicated, classified, counted."""
