"""Outcomes: participations, employment records, indicators and counterfactual impact evaluation."""
