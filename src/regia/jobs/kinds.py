"""The import kinds that can be uploaded from the browser (or the API) and run as background jobs.

One :class:`Kind` per kind, in :data:`KINDS`. A domain that adds an import kind provides, in its own
``service.py``, one function ::

    def import_file(engine: Engine, path: Path, *, principal: Principal, file_name: str,
                    checkpoint: Checkpoint) -> None

that reads ``path`` (the stored upload; ``file_name`` is the name the user gave it, for the rejections) in
batches of its own size, each batch one transaction; rejects the rows ``principal`` may not import (the
policy module decides: ``can(principal, WRITE, <resource>, <the row's owner>)``) with a ``Rejection`` like any
invalid row; starts at ``checkpoint.position`` (rows already committed by an earlier run of the same job);
calls ``checkpoint.total(rows)`` once it knows the size, and ``checkpoint.committed(session, Batch(...))``
inside each batch's transaction just before committing it (see :mod:`regia.importing.checkpoint`); lets
``Cancelled`` propagate; raises ``regia.auth.errors.DomainError`` (or ``ValueError``) when the file as a whole
cannot be read. Beside it, ``IMPORT_LABEL`` and ``IMPORT_HINT``: the message keys (``N_("…")``, in the
domain's own catalogue) of the kind's name and of what the file must hold. Then it adds its entry to
:data:`KINDS` below: name, those two keys, the formats it reads (as :func:`regia.jobs.files.sniff` names
them), the policy resource an uploader needs ``WRITE`` on (route level), and the function.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine

from regia.auth.policy import Resource
from regia.auth.principal import Principal
from regia.catalog import service as catalog_service
from regia.certification import service as certification_service
from regia.iefp import service as iefp_service
from regia.importing.checkpoint import Checkpoint
from regia.monitoring import service as monitoring_service
from regia.postings import service as postings_service


class ImportFile(Protocol):
    """A domain service's import of one stored upload (see the module's docstring)."""

    def __call__(self, engine: Engine, path: Path, *, principal: Principal, file_name: str,
                 checkpoint: Checkpoint) -> None: ...


@dataclass(frozen=True)
class Kind:
    name: str  # in URLs and in Job.kind
    label: str  # message key of its name
    hint: str  # message key of what the file must hold (shown on the upload page)
    formats: tuple[str, ...]  # accepted file formats, as regia.jobs.files.sniff names them
    resource: Resource  # uploaders need WRITE on it (route level); rows are checked by the domain's service
    run: ImportFile


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("catalog", catalog_service.IMPORT_LABEL, catalog_service.IMPORT_HINT, ("csv", "xlsx", "json"),
         Resource.CATALOG, catalog_service.import_file),
    Kind("postings", postings_service.IMPORT_LABEL, postings_service.IMPORT_HINT, ("csv", "xlsx", "jsonl", "json"),
         Resource.POSTINGS, postings_service.import_file),
    Kind("iefp-figures", iefp_service.IMPORT_LABEL, iefp_service.IMPORT_HINT, ("csv", "json"), Resource.IEFP_FIGURE,
         iefp_service.import_file),
    Kind("participations", monitoring_service.IMPORT_LABELS["participations"],
         monitoring_service.IMPORT_HINTS["participations"], ("csv", "xlsx"), Resource.OUTCOMES,
         monitoring_service.import_participations),
    Kind("employment", monitoring_service.IMPORT_LABELS["employment"], monitoring_service.IMPORT_HINTS["employment"],
         ("csv", "xlsx", "xml"), Resource.OUTCOMES, monitoring_service.import_employment),
    Kind("unemployed", monitoring_service.IMPORT_LABELS["unemployed"], monitoring_service.IMPORT_HINTS["unemployed"],
         ("csv", "xlsx"), Resource.OUTCOMES, monitoring_service.import_unemployed),
    Kind("standards", certification_service.IMPORT_LABEL, certification_service.IMPORT_HINT, ("csv", "json"),
         Resource.IVC_STANDARD, certification_service.import_file),
)}


def get(name: str) -> Kind | None:
    return KINDS.get(name)
