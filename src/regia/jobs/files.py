"""Uploaded files: what they are (from their first bytes, not their name), how big, their SHA-256, and where
they are kept until their job has read them (``settings.jobs_dir``, named by their content hash).

Binary formats are told by their magic bytes (the ``filetype`` library: an Excel workbook is a ZIP holding
``[Content_Types].xml`` and ``xl/``); a file that is not one is accepted only as text — no NUL byte, UTF-8
(or Windows-1252) — and then named by its first characters: ``[`` JSON, ``{`` JSON Lines when the first line
closes the object and another object follows (else JSON: a minified document is one line), ``<`` XML when it
starts a well-formed document (no DTD, no entities; not HTML), anything else CSV (its columns are the
import's business).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import ParseError

import filetype  # type: ignore[import-untyped]
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from regia.auth.errors import InvalidInput
from regia.i18n import N_

HEAD = 64 * 1024  # enough for the ZIP directory entries filetype looks for
CHUNK = 1024 * 1024
TEXT_ENCODINGS = ("utf-8-sig", "cp1252")


def sniff(head: bytes) -> str | None:
    """The format of a file from its first bytes: ``xlsx``, ``json``, ``jsonl``, ``xml``, ``csv``; None for anything
    else (an image, a PDF, an executable, an archive, binary data)."""
    if not head:
        return None
    guessed = filetype.guess(head)
    if guessed is not None:
        return "xlsx" if guessed.extension == "xlsx" else None
    if b"\x00" in head:
        return None
    sample = head if len(head) < HEAD else head[:head.rfind(b"\n") + 1] or head  # whole lines: no cut character
    for encoding in TEXT_ENCODINGS:
        try:
            text = sample.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return None
    start = text.lstrip()
    if start.startswith("["):
        return "json"
    if start.startswith("{"):
        first, _, rest = start.partition("\n")
        # JSON Lines: a first line that closes its object, then another object; one object on one line is JSON
        return "jsonl" if first.strip().endswith("}") and rest.lstrip().startswith("{") else "json"
    if start.startswith("<"):
        return "xml" if _xml_document(start) else None  # HTML, or XML that is not well-formed: refused
    return "csv"


class _Root:
    """A parser target that keeps the first element's name and nothing else."""

    def __init__(self) -> None:
        self.tag: str | None = None

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if self.tag is None:
            self.tag = tag

    def close(self) -> None:
        pass


def _xml_document(text: str) -> bool:
    """Whether ``text`` (a file's first characters) begins a well-formed XML document that is not HTML. Parsed
    with defusedxml, which refuses a document type declaration and entities (no billion laughs, no external
    entities): the imports that read XML never need them. The end of the file is not seen: a truncated
    document is fine, a malformed start is not."""
    root = _Root()
    parser = DefusedXMLParser(target=root, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    try:
        parser.feed(text)
    except (ParseError, DefusedXmlException):
        return False
    return root.tag is not None and root.tag.rsplit("}", 1)[-1].lower() != "html"


@dataclass(frozen=True)
class Stored:
    path: Path
    size: int
    content_hash: str
    file_format: str


async def store(chunks: AsyncIterator[bytes], *, folder: Path, max_bytes: int,
                accepted: tuple[str, ...]) -> Stored:
    """Write an upload under ``folder`` as ``<sha256>.<format>`` while hashing it; refuse it (``InvalidInput``
    with the field ``file``) when it is empty, larger than ``max_bytes`` or not of an ``accepted`` format.
    Nothing is left behind for a refused file."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    fd, tmp = tempfile.mkstemp(prefix="regia-upload-")  # moved under ``folder`` once accepted
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise InvalidInput(f"the file is larger than {max_bytes} bytes", field="file",
                                       key=N_("jobs.err.too_large"), params={"max_mb": max_bytes // 1_000_000})
                if len(head) < HEAD:
                    head += chunk[:HEAD - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise InvalidInput("the file is empty", field="file", key=N_("jobs.err.empty"))
        found = sniff(head)
        if found not in accepted:
            raise InvalidInput(f"not a file this import reads (found: {found or 'unknown'}; accepted: "
                               f"{', '.join(accepted)})", field="file", key=N_("jobs.err.format"),
                               params={"found": found or "?", "accepted": ", ".join(accepted)})
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / f"{digest.hexdigest()}-{secrets.token_hex(4)}.{found}"  # one file per upload
        shutil.move(tmp, final)
        return Stored(final, size, digest.hexdigest(), found)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
