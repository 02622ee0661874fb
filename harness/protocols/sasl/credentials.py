"""What the application gives a server mechanism to check a client against.

The server never needs a plaintext password except for CRAM-MD5:

* ``ScramCredentials`` (RFC 5802 §3): salt, iteration count, StoredKey and
  ServerKey. SCRAM-SHA-256 runs from these alone, and PLAIN/LOGIN verify a
  password against them by re-deriving StoredKey.
* ``password``: the plaintext (or plaintext-equivalent) secret. CRAM-MD5
  (RFC 2195 §2) computes HMAC-MD5 keyed with the shared secret, so a server
  offering CRAM-MD5 must hold it. RFC 2195 §4 says so itself: "the server ...
  must keep the secret in a form usable for computing the digest".

``CredentialLookup`` is a plain callable ``username -> Credentials | None``. It
is called synchronously inside a step; an application whose store blocks
should resolve credentials first (or run the step off its event loop).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from harness.protocols.sasl.saslprep import normalize, utf8

SCRAM_HASH = "sha256"
DEFAULT_ITERATIONS = 4096  # RFC 7677 §4: "at least 4096"
SALT_OCTETS = 16


@dataclass(frozen=True)
class ScramCredentials:
    """A SCRAM-SHA-256 verifier: enough to authenticate, useless to log in elsewhere."""

    salt: bytes
    iterations: int
    stored_key: bytes
    server_key: bytes


@dataclass(frozen=True)
class Credentials:
    """One user's secrets; either field may be absent (see the module doc)."""

    password: str | None = None
    scram_sha256: ScramCredentials | None = None

    @classmethod
    def from_password(
        cls,
        password: str,
        *,
        keep_plaintext: bool = False,
        salt: bytes | None = None,
        iterations: int = DEFAULT_ITERATIONS,
    ) -> Credentials:
        """SCRAM verifier from ``password``; keep the plaintext only for CRAM-MD5."""
        scram = derive_scram_credentials(password, salt=salt, iterations=iterations)
        return cls(password=password if keep_plaintext else None, scram_sha256=scram)

    def verify_password(self, password: str) -> bool:
        """Constant-time check of a password (PLAIN, LOGIN, POP3 PASS)."""
        if self.password is not None:
            return hmac.compare_digest(utf8(normalize(password)), utf8(normalize(self.password)))
        if self.scram_sha256 is not None:
            scram = self.scram_sha256
            salted = salted_password(password, scram.salt, scram.iterations)
            return hmac.compare_digest(scram_keys(salted)[1], scram.stored_key)
        return False


CredentialLookup = Callable[[str], Credentials | None]
"""``username -> Credentials | None`` (None: no such user)."""

Authorizer = Callable[[str, str], bool]
"""``(authcid, authzid) -> bool``: may ``authcid`` act as ``authzid``?"""


def same_identity_only(authcid: str, authzid: str) -> bool:
    """The default authorization policy: a user may only act as itself."""
    return authcid == authzid


def salted_password(password: str, salt: bytes, iterations: int) -> bytes:
    """RFC 5802 §3: SaltedPassword := Hi(Normalize(password), salt, i) (PBKDF2)."""
    return hashlib.pbkdf2_hmac(SCRAM_HASH, utf8(normalize(password)), salt, iterations)


def scram_keys(salted: bytes) -> tuple[bytes, bytes, bytes]:
    """RFC 5802 §3: (ClientKey, StoredKey, ServerKey) from SaltedPassword."""
    client_key = hmac.digest(salted, b"Client Key", SCRAM_HASH)
    stored_key = hashlib.new(SCRAM_HASH, client_key).digest()
    server_key = hmac.digest(salted, b"Server Key", SCRAM_HASH)
    return client_key, stored_key, server_key


def derive_scram_credentials(
    password: str, *, salt: bytes | None = None, iterations: int = DEFAULT_ITERATIONS
) -> ScramCredentials:
    """The stored form of ``password`` for SCRAM-SHA-256 (random 16-octet salt by default)."""
    if iterations < 1:
        raise ValueError("iteration count must be positive")
    salt = secrets.token_bytes(SALT_OCTETS) if salt is None else salt
    _, stored_key, server_key = scram_keys(salted_password(password, salt, iterations))
    return ScramCredentials(salt, iterations, stored_key, server_key)
