"""Every code a page shows by name has its label in the catalogues: the label tables (``labels.py`` of each
package, ``ORG_TYPE_LABELS`` / ``ROLE_LABELS``) cover every code the models and services know, and each label
has a text of its own in both languages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pytest

from regia.auth.models import ORG_TYPE_LABELS, ROLE_LABELS, OrgType, Role
from regia.catalog import labels as catalog_labels
from regia.catalog.models import MODALITIES, TARGETS
from regia.catalog.pages import FACET_ORDER
from regia.i18n import SUPPORTED, translations
from regia.pacts import labels as pacts_labels
from regia.pacts import messages, monitoring, ranking
from regia.pacts.manifestation import PARTNER_TYPES
from regia.pacts.models import ACTION_KINDS, AGGREGATIONS, FUNDING_SOURCES, STATUSES, TARGET_GROUPS
from regia.pacts.programme import TARGET_FIELDS
from regia.pacts.proposal_pages import STAMPS
from regia.taxonomy import labels as taxonomy_labels
from regia.taxonomy.models import CONCEPT_TYPES

COVERAGE: list[tuple[str, Mapping[str, str], Iterable[str]]] = [
    ("pacts status", pacts_labels.STATUS, STATUSES),
    ("evaluation state", pacts_labels.EVALUATION_STATE, STATUSES),
    ("action kind", pacts_labels.KIND, ACTION_KINDS),
    ("target group", pacts_labels.TARGET, TARGET_GROUPS),
    ("funding source", pacts_labels.SOURCE, FUNDING_SOURCES),
    ("partner type", pacts_labels.ORGTYPE, PARTNER_TYPES),
    ("aggregation", pacts_labels.AGGREGATION, AGGREGATIONS),
    ("method", pacts_labels.METHOD, AGGREGATIONS),
    ("figure", pacts_labels.FIGURE, TARGET_FIELDS),
    ("call phase", pacts_labels.PHASE, ("not_open", "manifestation", "evaluation", "programme", "implementation",
                                        "closed")),
    ("call stamp", pacts_labels.CALL_FIELD, STAMPS),
    ("ranking outcome", pacts_labels.OUTCOME, (ranking.SELECTED, ranking.NOT_FUNDED, ranking.BELOW_THRESHOLD,
                                              ranking.OVER_MAX_GRANT)),
    ("alert", pacts_labels.ALERT, monitoring.ALERT_KINDS),
    ("organisation type", {t.value: k for t, k in ORG_TYPE_LABELS.items()}, (t.value for t in OrgType)),
    ("role", {r.value: k for r, k in ROLE_LABELS.items()}, (r.value for r in Role)),
    ("modality", catalog_labels.VALUE, MODALITIES),
    ("catalogue target", catalog_labels.VALUE, TARGETS),
    ("facet", catalog_labels.FACET, FACET_ORDER),
    ("concept type", taxonomy_labels.TYPE, CONCEPT_TYPES),
]


@pytest.mark.parametrize(("what", "table", "codes"), COVERAGE, ids=[c[0] for c in COVERAGE])
def test_every_code_has_its_label(what: str, table: Mapping[str, str], codes: Iterable[str]) -> None:
    missing = sorted(set(codes) - set(table))
    assert not missing, f"{what}: no label for {missing}"
    for key in table.values():
        for lang in SUPPORTED:
            assert translations(lang).gettext(key) != key, f"{what}: {key} has no {lang} text"


def test_in_sentence_terms_cover_the_codes() -> None:
    for name, codes in (("source", FUNDING_SOURCES), ("kind", ACTION_KINDS), ("group", TARGET_GROUPS),
                        ("figure", (*TARGET_FIELDS, "spent")), ("status", STATUSES)):
        for code in codes:
            assert f"pacts.term.{name}.{code}" in messages.TERM_KEYS, (name, code)
            assert messages.shown("it", name, code) != code or code == "fse_plus", (name, code)
    assert messages.shown("en", "source", "lottery") == "lottery"  # an unknown code is shown as it is
