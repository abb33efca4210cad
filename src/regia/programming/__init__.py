"""Joint programming of the Region and the Funds: agreements, multi-year plans, annual tranches, allocation."""
