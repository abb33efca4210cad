"""Labels the taxonomy's templates look up by a code (``_('type.' ~ concept.type)``): each table maps the code to
its message key, written out so that ``pybabel`` (``make messages``) keeps the key."""

from __future__ import annotations

from regia.i18n import N_

# A concept's attribute or text field (``_('concept.' ~ field)``)
ATTRIBUTE = {
    "cadastral_code": N_("concept.cadastral_code"),
    "cp2011": N_("concept.cp2011"),
    "definition": N_("concept.definition"),
    "description": N_("concept.description"),
    "flags": N_("concept.flags"),
    "istat_code": N_("concept.istat_code"),
    "no_description": N_("concept.no_description"),
    "nuts2": N_("concept.nuts2"),
    "nuts3": N_("concept.nuts3"),
    "scope_note": N_("concept.scope_note"),
    "sigla": N_("concept.sigla"),
    "territory": N_("concept.territory"),
}
# The narrower territories of a territory, by their level
CHILDREN = {
    "comune": N_("children.comune"),
    "province": N_("children.province"),
}
# A skill's flag (digital, green, transversal, language)
FLAG = {
    "digital": N_("flag.digital"),
    "green": N_("flag.green"),
    "language": N_("flag.language"),
    "transversal": N_("flag.transversal"),
}
# "in Italian" / "in English", after a text in another language
IN_LANGUAGE = {
    "en": N_("concept.in_lang.en"),
    "it": N_("concept.in_lang.it"),
}
# A language's name
LANGUAGE = {
    "en": N_("concept.lang.en"),
    "it": N_("concept.lang.it"),
}
# A territory's level
LEVEL = {
    "comune": N_("level.comune"),
    "province": N_("level.province"),
    "region": N_("level.region"),
}
# The regions the map shows
MAP_REGION = {
    "IT": N_("map.region.IT"),
    "ITC4": N_("map.region.ITC4"),
}
# An ESCO skill's reuse level
REUSE_LEVEL = {
    "cross-sector": N_("reuse_level.cross-sector"),
    "occupation-specific": N_("reuse_level.occupation-specific"),
    "sector-specific": N_("reuse_level.sector-specific"),
    "transversal": N_("reuse_level.transversal"),
}
# A classification scheme
SCHEME = {
    "ateco2007": N_("scheme.ateco2007"),
    "ateco2022": N_("scheme.ateco2022"),
    "ateco2025": N_("scheme.ateco2025"),
    "cp2011": N_("scheme.cp2011"),
    "esco": N_("scheme.esco"),
    "isco08": N_("scheme.isco08"),
    "territory": N_("scheme.territory"),
}
# An ESCO skill's type
SKILL_TYPE = {
    "knowledge": N_("skill_type.knowledge"),
    "skill/competence": N_("skill_type.skill/competence"),
}
# A concept's type
TYPE = {
    "ateco": N_("type.ateco"),
    "cp": N_("type.cp"),
    "isco": N_("type.isco"),
    "occupation": N_("type.occupation"),
    "skill": N_("type.skill"),
    "skill_group": N_("type.skill_group"),
    "territory": N_("type.territory"),
}
