"""Comuni of residence and of workplaces: an ISTAT code, a cadastral (Belfiore) code as the UNILAV carries, or a
name, resolved to the ISTAT code and its province (NUTS3) through the taxonomy's territories.

When the taxonomy holds no comuni (a fresh database), a six-digit ISTAT code is accepted as it is and its
province is read from the code's first three digits (the province's ISTAT number) for Lombardy's provinces.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from regia.monitoring.codes import fold
from regia.taxonomy.models import Concept, Label

# ISTAT province number -> NUTS3 (2024) of Lombardy's provinces.
LOMBARDY_PROVINCES = {"012": "ITC41", "013": "ITC42", "097": "ITC43", "014": "ITC44", "016": "ITC46",
                      "017": "ITC47", "018": "ITC48", "098": "ITC49", "019": "ITC4A", "020": "ITC4B",
                      "015": "ITC4C", "108": "ITC4D"}


class UnknownPlace(ValueError):
    pass


@dataclass
class Places:
    nuts3: dict[str, str | None] = field(default_factory=dict)  # ISTAT code -> NUTS3
    cadastral: dict[str, str] = field(default_factory=dict)  # Belfiore code -> ISTAT code
    names: dict[str, str] = field(default_factory=dict)  # folded name -> ISTAT code

    def resolve(self, value: str) -> tuple[str | None, str | None]:
        """``(ISTAT code, NUTS3)`` of a comune given by code, cadastral code or name (``(None, None)`` for a
        cadastral code or a name when no territories are held to look it up in)."""
        text = value.strip()
        if text.isdigit() and len(text) <= 6:
            code = text.zfill(6)
            if code in self.nuts3:
                return code, self.nuts3[code]
            if not self.nuts3:  # no territories held: trust the code
                return code, LOMBARDY_PROVINCES.get(code[:3])
            raise UnknownPlace(f"unknown ISTAT comune code {text}")
        if not self.nuts3:
            return None, None
        upper = text.upper()
        if len(upper) == 4 and upper[0].isalpha() and upper[1:].isdigit():
            if upper in self.cadastral:
                code = self.cadastral[upper]
                return code, self.nuts3.get(code)
            raise UnknownPlace(f"unknown cadastral code {upper}")
        code = self.names.get(fold(text))
        if code is None:
            raise UnknownPlace(f"unknown comune {text!r}")
        return code, self.nuts3.get(code)


def load(session: Session) -> Places:
    places = Places()
    rows = session.execute(select(Concept.code, Concept.attrs, Label.text)
                           .join(Label, Label.concept_id == Concept.id)
                           .where(Concept.type == "territory", Concept.level == "comune", Label.kind == "preferred"))
    for code, attrs, name in rows:
        attrs = attrs or {}
        places.nuts3[code] = attrs.get("nuts3") or None
        if attrs.get("cadastral_code"):
            places.cadastral[str(attrs["cadastral_code"]).upper()] = code
        places.names.setdefault(fold(name), code)
    return places


# Lombardy's provinces by NUTS3, for when the taxonomy holds no territories.
LOMBARDY_NAMES = {"ITC41": "Varese", "ITC42": "Como", "ITC43": "Lecco", "ITC44": "Sondrio", "ITC46": "Bergamo",
                  "ITC47": "Brescia", "ITC48": "Pavia", "ITC49": "Lodi", "ITC4A": "Cremona", "ITC4B": "Mantova",
                  "ITC4C": "Milano", "ITC4D": "Monza e della Brianza"}


def province_names(session: Session, codes: set[str]) -> dict[str, str]:
    """Names of provinces by NUTS3 code (the taxonomy's, else Lombardy's own list)."""
    names = dict(LOMBARDY_NAMES)
    rows = session.execute(select(Concept.code, Label.text).join(Label, Label.concept_id == Concept.id)
                           .where(Concept.type == "territory", Concept.code.in_(sorted(codes)),
                                  Label.kind == "preferred"))
    names.update({code: name for code, name in rows})
    return {code: names[code] for code in codes if code in names}
