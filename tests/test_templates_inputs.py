"""Every ``<input>`` of every page template has a ``type``: Bootstrap Italia styles fields by type, and an input
without one is drawn as bare text with no border or line (issue 19: the partnership's form was mostly invisible,
and the wave-2 forms repeated it)."""

from __future__ import annotations

import re
from pathlib import Path

import regia

TEMPLATES = sorted(Path(regia.__file__).parent.glob("*/templates/**/*.html"))
INPUT = re.compile(r"<input\b[^>]*>", re.S)
COMMENT = re.compile(r"\{#.*?#\}", re.S)


def test_there_are_templates_to_check() -> None:
    assert len(TEMPLATES) > 50


def test_every_input_has_a_type() -> None:
    untyped = [f"{path.relative_to(path.parents[2])}: {tag[:80]}" for path in TEMPLATES
               for tag in INPUT.findall(COMMENT.sub("", path.read_text(encoding="utf-8")))
               if not re.search(r"\btype\s*=", tag)]
    assert untyped == []
