"""Check PGP/MIME material with Sequoia (pysequoia): in-process, no agent, no keyring.

The corpus writes its OpenPGP packets itself (``openpgp``); reading them
back through an independent, maintained implementation is what makes the
check worth something. Sequoia runs inside the process: no gpg-agent, no
GNUPGHOME, no subprocess per message, which matters when a fidelity run
verifies every message it fetched. GnuPG is the second opinion, in tests.
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

from harness.mail.secure import testkeys
from harness.mail.secure.openpgp import pgp_key

if TYPE_CHECKING:
    import pysequoia


class PgpError(ValueError):
    """The OpenPGP data is malformed, does not verify, or does not decrypt."""


def _first_line(error: Exception) -> str:
    # Sequoia's messages carry a Rust backtrace when RUST_BACKTRACE is set.
    text = str(error).strip().splitlines()
    line = text[0] if text else type(error).__name__
    return line.removeprefix("Signature verification failed: ")


def _sequoia() -> Any:
    """pysequoia, imported on first use: building the corpus does not need it."""
    try:
        module: ModuleType = importlib.import_module("pysequoia")
    except ImportError as error:
        raise PgpError(
            f"PGP/MIME checks need pysequoia, which is not installed ({error})"
        ) from None
    return module


@cache
def _known_certificates() -> tuple[pysequoia.Cert, ...]:
    identities = (testkeys.sender(), testkeys.recipient())
    return tuple(_sequoia().Cert.from_bytes(pgp_key(who).certificate()) for who in identities)


@cache
def _recipient_secret() -> pysequoia.Tsk:
    tsk: pysequoia.Tsk = _sequoia().Tsk.from_bytes(pgp_key(testkeys.recipient()).secret_key())
    return tsk


def _store(key_ids: list[str]) -> list[pysequoia.Cert]:
    return list(_known_certificates())


def verify_detached(data: bytes, signature: bytes) -> str:
    """The signer's fingerprint when ``signature`` (armoured or binary) covers ``data``."""
    sequoia = _sequoia()
    try:
        parsed = sequoia.Sig.from_bytes(signature)
    except Exception as error:  # Sequoia raises plain exceptions for bad packets
        raise PgpError(f"unreadable OpenPGP signature: {_first_line(error)}") from None
    try:
        result = sequoia.verify(bytes=data, store=_store, signature=parsed)
    except Exception as error:
        raise PgpError(f"signature does not verify: {_first_line(error)}") from None
    if not result.valid_sigs:
        raise PgpError("signature does not verify: no valid signature")
    return str(parsed.issuer_fingerprint or parsed.issuer_key_id)


def decrypt(message: bytes) -> bytes:
    """The plaintext of an OpenPGP message encrypted to the test recipient."""
    sequoia, secret = _sequoia(), _recipient_secret()
    try:
        result = sequoia.decrypt(message, decryptor=secret.decryptor())
    except Exception as error:
        raise PgpError(f"OpenPGP message does not decrypt: {_first_line(error)}") from None
    if result.bytes is None:
        raise PgpError("OpenPGP message decrypted to nothing")
    return result.bytes
