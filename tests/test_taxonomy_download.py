"""`regia taxonomy download` against a real HTTP server on 127.0.0.1 serving packages built here.

The ESCO-shaped CSVs are small extracts of the real files under REGIA_REFERENCE_DIR, taken at test time:
a few occupation-skill relations and exactly the occupations and skills they name, so that the importer
stores real relations. The Italian package reuses the English rows under Italian file names (test data only).
Nothing here touches the internet.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import socket
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from regia.cli import app
from regia.config import Settings, get_settings
from regia.taxonomy.download import (
    GEO_FILE,
    MANIFEST,
    PART_DIR,
    DownloadError,
    VerificationError,
    download_reference,
    esco_file_name,
    install_esco_zip,
)
from regia.taxonomy.importer import import_reference

VERSION = "1.2.0"
Rows = list[list[str]]


# ------------------------------------------------------------------------------------------ package builder


def _read(path: Path) -> Rows:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _csv(rows: Rows) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


@dataclass(frozen=True)
class Extract:
    """ESCO-shaped CSV texts by base name (language placeholder ``{lang}``)."""

    files: dict[str, str]
    skills: int
    occupations: int
    relations: int

    def for_lang(self, lang: str, **replace: str | None) -> dict[str, str]:
        out = {name.format(lang=lang): text for name, text in self.files.items()}
        for name, text in replace.items():
            key = name.format(lang=lang)
            if text is None:
                out.pop(key)
            else:
                out[key] = text
        return out


@pytest.fixture(scope="module")
def extract(reference_dir: Path) -> Extract:
    en = reference_dir / "esco" / "en_v1.1.1"
    rel = reference_dir / "esco" / "relations_v1.1.1"
    relations = _read(rel / "occupationSkillRelations.csv.gz")[:13]
    occ_uris = {r[0] for r in relations[1:]}
    skill_uris = {r[3] for r in relations[1:]}
    occupations = _read(en / "occupations_en.csv.gz")
    skills = _read(en / "skills_en.csv.gz")
    occ_rows = [occupations[0]] + [r for r in occupations[1:] if r[1] in occ_uris]
    skill_rows = [skills[0]] + [r for r in skills[1:] if r[1] in skill_uris]
    assert len(occ_rows) > 1 and len(skill_rows) > 1
    files = {
        "skills_{lang}.csv": _csv(skill_rows),
        "occupations_{lang}.csv": _csv(occ_rows),
        "ISCOGroups_{lang}.csv": _csv(_read(en / "ISCOGroups_en.csv.gz")[:20]),
        "skillGroups_{lang}.csv": _csv(_read(en / "skillGroups_en.csv.gz")[:10]),
        "occupationSkillRelations_{lang}.csv": _csv(relations),
        "broaderRelationsOccPillar_{lang}.csv": _csv(_read(rel / "broaderRelationsOccPillar.csv.gz")[:10]),
    }
    return Extract(files, len(skill_rows) - 1, len(occ_rows) - 1, len(relations) - 1)


def build_zip(members: dict[str, str], *, folder: str = "", extra: dict[str, bytes] | None = None,
              method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, text in members.items():
            zf.writestr(folder + name, text.encode("utf-8"))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def corrupt(data: bytes, needle: bytes) -> bytes:
    """Flip one byte inside a stored member's content (its CRC no longer matches)."""
    at = data.index(needle) + len(needle) // 2
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]


@pytest.fixture(scope="module")
def provinces(reference_dir: Path) -> bytes:
    """Three Lombard provinces as openpolis publishes them: prov_acr, no nuts3_2024."""
    data = json.loads((reference_dir / "geo" / "lombardy_provinces_simplified.geojson").read_text("utf-8"))
    features = [f for f in data["features"] if f["properties"]["prov_acr"] in ("MI", "BG", "VA")]
    for f in features:
        f["properties"].pop("nuts3_2024", None)
        f["properties"].pop("uts_istat_code_2024", None)
    return json.dumps({"type": "FeatureCollection", "features": features}).encode("utf-8")


# ---------------------------------------------------------------------------------------------- HTTP server


@dataclass
class Server:
    base: str
    routes: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # decoded path -> (body, type)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def serve_esco(self, lang: str, body: bytes, *, sha256: str | None = None, ctype: str = "application/zip",
                   ) -> str:
        path = f"/esco/{esco_file_name(VERSION, lang)}"
        self.routes[path] = (body, ctype)
        if sha256 is not None:
            self.routes[path + ".sha256"] = (f"{sha256}  {esco_file_name(VERSION, lang)}\n".encode(), "text/plain")
        return path

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = unquote(urlsplit(self.path).path)
            state.requests.append((path, dict(self.headers.items())))
            if path not in state.routes:
                self.send_error(404, "Not Found")
                return
            body, ctype = state.routes[path]
            start = 0
            if rng := self.headers.get("Range"):
                start = int(rng.removeprefix("bytes=").split("-")[0])
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            self.wfile.write(body[start:])

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No proxy for 127.0.0.1, and settings read afresh from the environment by every CLI run."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def settings_for(server: Server, tmp_path: Path, timeout: float = 5.0) -> Settings:
    return Settings(esco_download_url=f"{server.base}/esco", geo_download_url=f"{server.base}/geo",
                    reference_dir=tmp_path / "ref", download_timeout=timeout)


@pytest.fixture
def published(server: Server, extract: Extract, provinces: bytes) -> Server:
    """The server offering ESCO it + en and the provinces, no checksums."""
    for lang in ("it", "en"):
        server.serve_esco(lang, build_zip(extract.for_lang(lang)))
    server.routes[f"/geo/{GEO_FILE}"] = (provinces, "text/plain; charset=utf-8")
    return server


def leftovers(dest: Path) -> list[str]:
    """Partial files or folders an interrupted or failed installation could leave behind."""
    return sorted(str(p.relative_to(dest)) for p in dest.rglob("*")
                  if ".partial-" in p.name or ".old-" in p.name or p.name.endswith(".part"))


def run_cli(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, args, env=env)
    return result.exit_code, " ".join(result.output.split())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -------------------------------------------------------------------------------------------------- tests


def test_download_verifies_extracts_and_the_importer_imports(
    published: Server, extract: Extract, tmp_path: Path, empty_engine: Engine
) -> None:
    dest = tmp_path / "ref"
    report = download_reference(settings_for(published, tmp_path), dest=dest)

    assert [(i.name, i.status) for i in report.items] == [
        (f"ESCO {VERSION} it", "downloaded"), (f"ESCO {VERSION} en", "downloaded"),
        ("province boundaries", "downloaded")]
    for lang in ("it", "en"):
        folder = dest / "esco" / VERSION / lang
        assert sorted(p.name for p in folder.iterdir()) == sorted([*extract.for_lang(lang), MANIFEST])
        assert (folder / f"skills_{lang}.csv").read_text("utf-8") == extract.files["skills_{lang}.csv"]
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
        assert manifest["source"].endswith("ESCO%20dataset%20-%20v1.2.0%20-%20classification%20-%20"
                                           f"{lang}%20-%20csv.zip")
    geo = json.loads((dest / "geo" / "it_provinces.geojson").read_text("utf-8"))
    assert {f["properties"]["prov_acr"]: f["properties"]["nuts3_2024"] for f in geo["features"]} == {
        "MI": "ITC4C", "BG": "ITC46", "VA": "ITC41"}
    assert report.items[2].checksum == "not offered"
    assert leftovers(dest) == [] and not (dest / PART_DIR).exists()

    imported = import_reference(empty_engine, dest)
    files = {f.file: f for f in imported.files}
    skills = files[f"esco/{VERSION}/en/skills_en.csv"]
    assert (skills.read, skills.rejected) == (extract.skills, 0)
    assert files[f"esco/{VERSION}/it/skills_it.csv"].stored == extract.skills
    assert files[f"esco/{VERSION}/en/occupations_en.csv"].read == extract.occupations
    # Each language package carries the same relations: stored once, found unchanged the second time.
    relations = [files[f"esco/{VERSION}/{lg}/occupationSkillRelations_{lg}.csv"] for lg in ("it", "en")]
    assert sum(r.stored for r in relations) == sum(r.unchanged for r in relations) == extract.relations
    assert sum(r.rejected + r.skipped for r in relations) == 0
    boundaries = files["geo/it_provinces.geojson"]
    assert (boundaries.stored, boundaries.rejected) == (3, 0)
    assert imported.unknown == []
    assert not any(m.startswith(("ESCO skills", "ESCO occupations_", "ESCO occupationSkill", "Province"))
                   for m in imported.missing)


def test_rerun_skips_what_is_present_and_verified(published: Server, tmp_path: Path) -> None:
    settings, dest = settings_for(published, tmp_path), tmp_path / "ref"
    download_reference(settings, dest=dest)
    published.requests.clear()

    again = download_reference(settings, dest=dest)
    assert [i.status for i in again.items] == ["skipped"] * 3
    assert published.requests == []  # no network at all

    # A damaged file is no longer "verified": that package alone is fetched again.
    skills = dest / "esco" / VERSION / "en" / "skills_en.csv"
    original = skills.read_bytes()
    skills.write_bytes(original + b"tampered\n")
    third = download_reference(settings, dest=dest)
    assert [i.status for i in third.items] == ["skipped", "downloaded", "skipped"]
    assert skills.read_bytes() == original

    published.requests.clear()
    forced = download_reference(settings, dest=dest, langs=["en"], geo=False, force=True)
    assert [i.status for i in forced.items] == ["downloaded"]
    assert published.paths()[0] == f"/esco/{esco_file_name(VERSION, 'en')}"
    assert leftovers(dest) == []


@pytest.mark.parametrize("damage", ["crc", "truncated"])
def test_corrupt_zip_is_rejected_and_nothing_extracted(
    server: Server, extract: Extract, tmp_path: Path, damage: str
) -> None:
    good = build_zip(extract.for_lang("en"), method=zipfile.ZIP_STORED)
    body = corrupt(good, extract.files["skills_{lang}.csv"][:200].encode()) if damage == "crc" \
        else good[: len(good) // 2]
    server.serve_esco("en", body)
    dest = tmp_path / "ref"
    with pytest.raises(VerificationError) as err:
        download_reference(settings_for(server, tmp_path), dest=dest, langs=["en"], geo=False)
    assert ("CRC" in err.value.reason) if damage == "crc" else ("not a valid zip" in err.value.reason)
    assert esco_file_name(VERSION, "en").replace(" ", "%20") in err.value.source
    assert not (dest / "esco" / VERSION / "en").exists()
    assert leftovers(dest) == []  # the bad download is not kept for resuming either
    assert "--from-file" in err.value.manual


@pytest.mark.parametrize(("replace", "expected"), [
    ({"occupationSkillRelations_{lang}.csv": None}, "missing occupationSkillRelations.csv"),
    ({"ISCOGroups_{lang}.csv": None}, "missing ISCOGroups_en.csv"),
    ({"skills_{lang}.csv": "conceptType,conceptUri,label\nKnowledgeSkillCompetence,http://x,y\n"},
     "skills_en.csv lacks the columns preferredLabel"),
    ({"occupationSkillRelations_{lang}.csv": "occupationUri,skillUri\n"},
     "occupationSkillRelations_en.csv lacks the columns relationType"),
])
def test_package_without_the_expected_members_or_columns_is_rejected(
    server: Server, extract: Extract, tmp_path: Path, replace: dict[str, str | None], expected: str
) -> None:
    server.serve_esco("en", build_zip(extract.for_lang("en", **replace)))
    dest = tmp_path / "ref"
    with pytest.raises(VerificationError, match=re.escape(expected)):
        download_reference(settings_for(server, tmp_path), dest=dest, langs=["en"], geo=False)
    assert not (dest / "esco").exists() or not any((dest / "esco").rglob("*.csv"))


def test_a_web_page_instead_of_the_zip_is_rejected(server: Server, tmp_path: Path) -> None:
    server.serve_esco("en", b"<html><body>Please fill in the form</body></html>", ctype="text/html")
    with pytest.raises(VerificationError, match=r"unexpected content type 'text/html'.*web page"):
        download_reference(settings_for(server, tmp_path), dest=tmp_path / "ref", langs=["en"], geo=False)


def test_sha256_offered_by_the_server_is_checked(server: Server, extract: Extract, tmp_path: Path) -> None:
    body = build_zip(extract.for_lang("en"))
    server.serve_esco("en", body, sha256=hashlib.sha256(body).hexdigest())
    report = download_reference(settings_for(server, tmp_path), dest=tmp_path / "ok", langs=["en"], geo=False)
    assert report.items[0].checksum == "verified (server .sha256)"
    assert report.items[0].sha256 == hashlib.sha256(body).hexdigest()

    server.serve_esco("en", body, sha256="0" * 64)
    dest = tmp_path / "bad"
    with pytest.raises(VerificationError, match="SHA-256 mismatch"):
        download_reference(settings_for(server, tmp_path), dest=dest, langs=["en"], geo=False)
    assert not (dest / "esco" / VERSION / "en").exists() and leftovers(dest) == []

    with pytest.raises(VerificationError, match="SHA-256 mismatch"):
        download_reference(settings_for(server, tmp_path), dest=dest, langs=["en"], geo=False,
                           sha256="ab" * 32)


def test_partial_download_is_resumed_with_http_range(server: Server, extract: Extract, tmp_path: Path) -> None:
    body = build_zip(extract.for_lang("en"))
    path = server.serve_esco("en", body)
    dest = tmp_path / "ref"
    part = dest / PART_DIR / (esco_file_name(VERSION, "en") + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(body[:1000])
    report = download_reference(settings_for(server, tmp_path), dest=dest, langs=["en"], geo=False)
    assert report.items[0].status == "downloaded"
    assert report.items[0].sha256 == hashlib.sha256(body).hexdigest()
    headers = next(h for p, h in server.requests if p == path)
    assert headers.get("Range") == "bytes=1000-"
    assert not part.exists()


# ------------------------------------------------------------------------------------------------- the CLI


def test_cli_404_names_the_url_and_gives_the_manual_steps(server: Server, tmp_path: Path) -> None:
    code, out = run_cli(["taxonomy", "download", "--lang", "en", "--dest", str(tmp_path / "ref")],
                        {"REGIA_ESCO_DOWNLOAD_URL": f"{server.base}/nothing-here"})
    assert code == 1
    url = f"{server.base}/nothing-here/ESCO%20dataset%20-%20v1.2.0%20-%20classification%20-%20en%20-%20csv.zip"
    assert f"error: {url}: HTTP 404 Not Found" in out
    assert "https://esco.ec.europa.eu/en/use-esco/download" in out
    assert '"classification"' in out and "CSV" in out
    assert "regia taxonomy download --from-file" in out
    assert not (tmp_path / "ref" / "esco").exists()


def test_cli_connection_refused(tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{free_port()}"
    code, out = run_cli(["taxonomy", "download", "--dest", str(tmp_path / "ref")],
                        {"REGIA_ESCO_DOWNLOAD_URL": base, "REGIA_GEO_DOWNLOAD_URL": base})
    assert code == 1
    assert f"error: {base}/ESCO%20dataset%20-%20v1.2.0%20-%20classification%20-%20it%20-%20csv.zip" in out
    assert "connection refused by 127.0.0.1" in out
    assert "Manual steps" in out and "--from-file" in out
    assert "Traceback" not in out


def test_cli_timeout(tmp_path: Path) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        base = f"http://127.0.0.1:{silent.getsockname()[1]}"
        code, out = run_cli(["taxonomy", "download", "--lang", "en", "--no-geo", "--dest", str(tmp_path)],
                            {"REGIA_ESCO_DOWNLOAD_URL": base, "REGIA_DOWNLOAD_TIMEOUT": "0.5"})
    assert code == 1
    assert "within 0.5 s (timeout" in out and base in out and "Manual steps" in out


def test_cli_downloads_and_reports(published: Server, tmp_path: Path) -> None:
    dest = tmp_path / "ref"
    env = {"REGIA_ESCO_DOWNLOAD_URL": f"{published.base}/esco", "REGIA_GEO_DOWNLOAD_URL": f"{published.base}/geo",
           "REGIA_REFERENCE_DIR": str(dest)}
    code, out = run_cli(["taxonomy", "download", "--json"], env)
    assert code == 0, out
    items = json.loads(out)["items"]
    assert [(i["name"], i["status"]) for i in items] == [
        ("ESCO 1.2.0 it", "downloaded"), ("ESCO 1.2.0 en", "downloaded"), ("province boundaries", "downloaded")]
    assert (dest / "esco" / VERSION / "it" / "skills_it.csv").is_file()
    code, out = run_cli(["taxonomy", "download", "-q"], env)
    assert code == 0 and out.count("skipped") == 3 and f"regia taxonomy import {dest}" in out


def test_cli_sha256_needs_a_single_package(tmp_path: Path) -> None:
    code, out = run_cli(["taxonomy", "download", "--sha256", "ab" * 32, "--dest", str(tmp_path)], {})
    assert code == 2 and "--sha256 needs one package" in out


def test_cli_from_file_installs_a_hand_downloaded_zip(extract: Extract, tmp_path: Path) -> None:
    # The portal's zip may hold a folder and odd extras; no network may be used (the URLs point nowhere).
    zpath = tmp_path / esco_file_name("1.2.1", "en")
    zpath.write_bytes(build_zip(extract.for_lang("en"), folder="ESCO dataset - v1.2.1 - classification - en - csv/",
                                extra={"__MACOSX/._skills_en.csv": b"junk"}))
    nowhere = f"http://127.0.0.1:{free_port()}"
    env = {"REGIA_ESCO_DOWNLOAD_URL": nowhere, "REGIA_GEO_DOWNLOAD_URL": nowhere}
    dest = tmp_path / "ref"
    code, out = run_cli(["taxonomy", "download", "--from-file", str(zpath), "--dest", str(dest)], env)
    assert code == 0, out
    folder = dest / "esco" / "1.2.1" / "en"  # version and language from the zip's name
    assert sorted(p.name for p in folder.iterdir()) == sorted([*extract.for_lang("en"), MANIFEST])
    code, out = run_cli(["taxonomy", "download", "--from-file", str(zpath), "--dest", str(dest)], env)
    assert code == 0 and "skipped" in out

    digest = hashlib.sha256(zpath.read_bytes()).hexdigest()
    code, out = run_cli(["taxonomy", "download", "--from-file", str(zpath), "--dest", str(tmp_path / "b"),
                         "--sha256", digest, "--json"], env)
    assert code == 0 and json.loads(out)["items"][0]["checksum"] == "verified (--sha256)"
    code, out = run_cli(["taxonomy", "download", "--from-file", str(zpath), "--dest", str(tmp_path / "c"),
                         "--sha256", "0" * 64], env)
    assert code == 1 and "SHA-256 mismatch" in out and not (tmp_path / "c" / "esco" / "1.2.1").exists()


def test_cli_from_file_rejects_a_corrupt_zip(extract: Extract, tmp_path: Path) -> None:
    zpath = tmp_path / esco_file_name(VERSION, "it")
    good = build_zip(extract.for_lang("it"), method=zipfile.ZIP_STORED)
    zpath.write_bytes(corrupt(good, extract.files["occupations_{lang}.csv"][:300].encode()))
    dest = tmp_path / "ref"
    code, out = run_cli(["taxonomy", "download", "--from-file", str(zpath), "--dest", str(dest)], {})
    assert code == 1
    assert f"error: {zpath}: corrupt zip: member 'occupations_it.csv' fails its CRC check" in out
    assert not (dest / "esco" / VERSION / "it").exists() and leftovers(dest) == []


def test_from_file_replaces_an_older_installation_atomically(extract: Extract, tmp_path: Path) -> None:
    dest = tmp_path / "ref"
    first = tmp_path / "first" / esco_file_name(VERSION, "en")
    first.parent.mkdir()
    first.write_bytes(build_zip(extract.for_lang("en")))
    install_esco_zip(first, dest)
    smaller = extract.for_lang("en", **{"broaderRelationsOccPillar_{lang}.csv": None})
    second = tmp_path / esco_file_name(VERSION, "en")
    second.write_bytes(build_zip(smaller))
    installed = install_esco_zip(second, dest)
    assert installed.status == "installed"
    assert sorted(p.name for p in installed.path.iterdir()) == sorted([*smaller, MANIFEST])
    assert leftovers(dest) == []


def test_cli_geo_from_file(provinces: bytes, tmp_path: Path) -> None:
    raw = tmp_path / GEO_FILE
    raw.write_bytes(provinces)
    code, out = run_cli(["taxonomy", "download", "--geo-from-file", str(raw), "--dest", str(tmp_path / "r"),
                         "--json"], {})
    assert code == 0, out
    assert json.loads(out)["items"][0]["note"] == "3 of 3 provinces given a NUTS3 code"
    not_geo = tmp_path / "x.geojson"
    not_geo.write_text('{"type": "FeatureCollection", "features": [{"properties": {"name": "?"}}]}')
    code, out = run_cli(["taxonomy", "download", "--geo-from-file", str(not_geo), "--dest", str(tmp_path / "s")],
                        {})
    assert code == 1 and "no feature has a known province acronym" in out


def test_download_error_carries_url_and_reason() -> None:
    exc = DownloadError("http://example.invalid/x.zip", "HTTP 404 Not Found", manual="Manual steps: ...")
    assert str(exc) == "http://example.invalid/x.zip: HTTP 404 Not Found"
    assert exc.explain().endswith("Manual steps: ...")
