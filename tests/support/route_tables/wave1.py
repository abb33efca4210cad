"""Route × role rows of the wave-1 fixes (issue 19): the taxonomy pickers of the forms."""

from __future__ import annotations

from support.accounts import ALL_ROLES, World

ALL = frozenset(ALL_ROLES)

EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/taxonomy/picker/{kind}"): ALL,  # reference data, open to everyone
}


def params(world: World) -> dict[str, str]:
    return {"kind": "skill"}
