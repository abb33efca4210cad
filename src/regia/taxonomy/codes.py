"""Shapes of the standards' identifiers, shared by every reader and validator that checks one."""

from __future__ import annotations

import re

ESCO_SKILL_URI = re.compile(r"^https?://data\.europa\.eu/esco/skill/[0-9a-f-]{36}$")
ESCO_OCCUPATION_URI = re.compile(r"^https?://data\.europa\.eu/esco/occupation/[0-9a-f-]{36}$")
ISCO_UNIT_GROUP = re.compile(r"^\d{4}$")  # ISCO-08 4-digit unit group
CP2011_CODE = re.compile(r"^\d(?:\.\d+){1,4}$")  # ISTAT CP2011 code below the first level
ISTAT_COMUNE = re.compile(r"^\d{6}$")  # ISTAT alphanumeric code of a comune
