"""Route × role rows of the wave-1 fixes (issue 19): the taxonomy pickers of the forms, the Fund dashboard."""

from __future__ import annotations

from support.accounts import ALL_ROLES, World

ALL = frozenset(ALL_ROLES)

EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/taxonomy/picker/{kind}"): ALL,  # reference data, open to everyone
    ("GET", "/fondo"): frozenset({"fund_viewer", "fund_editor", "fund_b_editor"}),  # Fund staff (others: 403)
}


def params(world: World) -> dict[str, str]:
    return {"kind": "skill"}
