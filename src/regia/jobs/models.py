"""Tables of the jobs domain."""

from __future__ import annotations

from regia.db import Base  # noqa: F401
