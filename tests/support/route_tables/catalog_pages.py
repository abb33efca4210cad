"""Route × role rows of the catalogue's skills form (regia.catalog.pages): the course page shows the form to
whom the policy lets write the course (``catalog`` write, row level); its post is refused to everyone else.

The world's course is the test provider's (``world.courses["provider"]``): its editors and the Region's
staff change its skills; a Fund's editors pass the route-level check (Funds publish) but not the row's
(a Fund does not edit a provider's skills); the suggestions of the form are public (taxonomy data)."""

from __future__ import annotations

from support.accounts import ALL_ROLES, World

COURSE_WRITERS = frozenset({"region_admin", "provider_editor"})

EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("POST", "/catalog/courses/{course_id}/skills"): COURSE_WRITERS,
    ("GET", "/catalog/skills/suggest"): frozenset(ALL_ROLES),
}


def request_kwargs(method: str, path: str, world: World, role: str, csrf: str | None) -> dict[str, object] | None:
    if method == "POST" and path.startswith("/catalog/courses/") and path.endswith("/skills"):
        return {"data": {"csrf_token": csrf or ""}}  # nothing confirmed or removed: the redirect says "allowed"
    if path == "/catalog/skills/suggest":
        return {"params": {"q": "saldatura", "course": str(world.courses["provider"])}}
    return None
