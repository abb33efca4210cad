"""Machine-to-machine exchange with PA systems (ModI / PDND patterns), change feeds and bulk packages."""
