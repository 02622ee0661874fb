"""Account secrets for the reference server: stored password hashes and the
credentials the SASL mechanisms check against.

Two forms, for two jobs:

* ``hash_password`` / ``verify_password``: a salted PBKDF2-SHA256 hash for
  storage, in one self-describing string
  ``pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>`` so the cost can
  rise later without breaking stored hashes. Checked in constant time.
* ``credential_lookup``: ``harness.protocols.sasl.Credentials`` per user, built
  once at startup. SCRAM-SHA-256 needs only the RFC 5802 verifier (salt,
  iterations, StoredKey, ServerKey), derived by the SASL package's
  ``derive_scram_credentials``, which also lets PLAIN, LOGIN and POP3 PASS be
  checked without the plaintext. CRAM-MD5 (RFC 2195) is keyed with the shared
  secret itself, so the plaintext is kept only when CRAM-MD5 is offered.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Iterable

from harness.protocols.sasl import CredentialLookup, Credentials

SCHEME = "pbkdf2-sha256"
# Costs ~50 ms per hash here: fine for a login, noticeable when a test server
# hashes many accounts at startup, which is why callers may pass less.
DEFAULT_ITERATIONS = 100_000
SALT_OCTETS = 16


class BadPasswordHash(ValueError):
    """A stored hash string is not in the ``pbkdf2-sha256$...`` form."""


def hash_password(
    password: str, *, iterations: int = DEFAULT_ITERATIONS, salt: bytes | None = None
) -> str:
    """The storage form of ``password`` (a fresh random salt unless one is given)."""
    if iterations < 1:
        raise ValueError("iterations must be positive")
    salt = secrets.token_bytes(SALT_OCTETS) if salt is None else salt
    digest = _pbkdf2(password, salt, iterations)
    return "$".join((SCHEME, str(iterations), _b64(salt), _b64(digest)))


def verify_password(password: str, encoded: str) -> bool:
    """True if ``password`` matches the stored hash; the comparison is constant-time."""
    iterations, salt, expected = parse_password_hash(encoded)
    return hmac.compare_digest(_pbkdf2(password, salt, iterations), expected)


def parse_password_hash(encoded: str) -> tuple[int, bytes, bytes]:
    """(iterations, salt, digest) from a stored hash; ``BadPasswordHash`` if malformed."""
    parts = encoded.split("$")
    if len(parts) != 4 or parts[0] != SCHEME:
        raise BadPasswordHash(f"expected {SCHEME}$<iterations>$<salt>$<hash>")
    try:
        iterations = int(parts[1])
        salt, digest = _unb64(parts[2]), _unb64(parts[3])
    except (ValueError, binascii.Error) as exc:
        raise BadPasswordHash(f"malformed {SCHEME} hash: {exc}") from exc
    if iterations < 1 or not salt or len(digest) != hashlib.sha256().digest_size:
        raise BadPasswordHash(f"malformed {SCHEME} hash: bad iterations, salt or length")
    return iterations, salt, digest


def credential_lookup(
    accounts: Iterable[tuple[str, str]], *, cram_md5: bool, scram_iterations: int = 4096
) -> CredentialLookup:
    """A ``username -> Credentials | None`` function over ``(user, password)`` pairs.

    Verifiers are derived here, once, so no login pays for PBKDF2 twice. 4096
    iterations is RFC 7677 §4's floor and what most servers advertise.
    """
    book = {
        _user_key(user): Credentials.from_password(
            password, keep_plaintext=cram_md5, iterations=scram_iterations
        )
        for user, password in accounts
    }

    def lookup(username: str) -> Credentials | None:
        return book.get(_user_key(username))

    return lookup


def _user_key(user: str) -> str:
    # RFC 5321 §2.4: the domain part is case-insensitive, the local part is not.
    local, at, domain = user.rpartition("@")
    return f"{local}@{domain.lower()}" if at else user


def _pbkdf2(password: str, salt: bytes, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
