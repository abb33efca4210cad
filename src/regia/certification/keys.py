"""The issuers' Ed25519 private keys, in files outside the database and the repository.

Each key is a PKCS#8 PEM file ``{keys dir}/{issuer slug}/{public key multibase}.pem`` created with mode 0600 in
folders of mode 0700; the keys folder is ``REGIA_CREDENTIAL_KEYS_DIR`` (default ``REGIA_DATA_DIR/keys``,
``var/`` being git-ignored). The database keeps only the public key and the file's name. A key file readable
by group or others is refused when loaded, so a copied-around key is noticed rather than used. For production,
point the setting at a secrets mount (e.g. a Kubernetes secret volume or an HSM-backed agent exporting files).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from regia.certification.multibase import ed25519_public_multikey
from regia.config import get_settings

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


class KeyFileError(RuntimeError):
    """A key file is missing, unreadable, or open to other users."""


def keys_dir() -> Path:
    settings = get_settings()
    return (settings.credential_keys_dir or settings.data_dir / "keys").resolve()


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)


def generate(slug: str) -> tuple[str, str]:
    """A new key for the issuer ``slug``: ``(file name relative to the keys folder, publicKeyMultibase)``."""
    if not SLUG.match(slug):
        raise ValueError(f"bad issuer slug {slug!r}")
    key = Ed25519PrivateKey.generate()
    multikey = ed25519_public_multikey(public_bytes(key))
    root = keys_dir()
    _private_dir(root)
    _private_dir(root / slug)
    name = f"{slug}/{multikey}.pem"
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(root / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fp:
        fp.write(pem)
    return name, multikey


def load(name: str) -> Ed25519PrivateKey:
    """The private key of a key file (refused when group or others may read it)."""
    path = (keys_dir() / name).resolve()
    if keys_dir() not in path.parents:
        raise KeyFileError(f"key file {name!r} is outside the keys folder")
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyFileError(f"key file {path} not found (REGIA_CREDENTIAL_KEYS_DIR)") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"key file {path} is open to other users (mode {stat.S_IMODE(mode):o}); chmod 600 it")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"key file {path} is not an Ed25519 key")
    return key
