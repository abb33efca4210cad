"""Certification of competences (IVC) against the regional standards (QRSP), issued as verifiable credentials."""
