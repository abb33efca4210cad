"""Labels the catalogue's templates look up by a code (``_('value.' ~ course.modality)``): each table maps the code to
its message key, written out so that ``pybabel`` (``make messages``) keeps the key."""

from __future__ import annotations

from regia.i18n import N_

# The confidence of a mismatch figure
CONFIDENCE = {
    "high": N_("confidence.high"),
    "low": N_("confidence.low"),
    "medium": N_("confidence.medium"),
}
# A search facet
FACET = {
    "province": N_("facet.province"),
    "target": N_("facet.target"),
    "modality": N_("facet.modality"),
    "funding": N_("facet.funding"),
    "hours": N_("facet.hours"),
    "digital": N_("facet.digital"),
    "green": N_("facet.green"),
}
# Where a course's skill comes from
ORIGIN = {
    "classifier": N_("catalog.origin.classifier"),
    "confirmed": N_("catalog.origin.confirmed"),
    "provider": N_("catalog.origin.provider"),
}
# A facet value (modality, target group, funding channel, yes)
VALUE = {
    "apprendisti": N_("value.apprendisti"),
    "blended": N_("value.blended"),
    "disoccupati": N_("value.disoccupati"),
    "fondo": N_("value.fondo"),
    "fse+": N_("value.fse+"),
    "impresa": N_("value.impresa"),
    "occupati": N_("value.occupati"),
    "online": N_("value.online"),
    "presenza": N_("value.presenza"),
    "regione": N_("value.regione"),
    "sospesi": N_("value.sospesi"),
    "stranieri": N_("value.stranieri"),
    "studenti": N_("value.studenti"),
    "true": N_("value.true"),
}
