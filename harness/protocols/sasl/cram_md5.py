"""CRAM-MD5 (RFC 2195): HMAC-MD5 over a server-chosen msg-id.

RFC 2195 §2: the challenge is "a presumptively arbitrary string of random
digits, a timestamp, and the fully-qualified primary host name of the server",
in RFC 822 msg-id form; the client answers

    response = user SP digest
    digest   = 32(%x30-39 / %x61-66)   ; lower-case hex of HMAC-MD5(secret, challenge)

The server must hold the shared secret in a plaintext-equivalent form (RFC 2195
§4), so it works only for users whose ``Credentials.password`` is set; a user
with only a SCRAM verifier fails with ``FailureKind.UNAVAILABLE``. MD5 and
plaintext-equivalent storage are why CRAM-MD5 is here for interop testing only.
"""

from __future__ import annotations

import hmac
import re

from harness.protocols.sasl.base import ClientMechanism, ServerMechanism
from harness.protocols.sasl.outcomes import (
    Challenge,
    Failure,
    FailureKind,
    MalformedMessage,
    Outcome,
    SaslClientError,
)
from harness.protocols.sasl.saslprep import utf8

_DIGEST = re.compile(rb"[0-9a-fA-F]{32}")


def cram_md5_digest(secret: str, challenge: bytes) -> str:
    """HMAC-MD5 keyed with ``secret`` over the challenge, as 32 lower-case hex digits."""
    return hmac.digest(utf8(secret), challenge, "md5").hex()


class CramMD5Server(ServerMechanism, mechanism="CRAM-MD5"):
    """CRAM-MD5 server: one challenge, one response."""

    def _setup(self) -> None:
        self.challenge = f"<{self.context.nonce()}@{self.context.hostname}>".encode()

    def _start(self, initial_response: bytes | None) -> Outcome:
        if initial_response is not None:
            raise MalformedMessage("CRAM-MD5 has no initial response")
        return Challenge(self.challenge)

    def _step(self, response: bytes | None) -> Outcome:
        user_octets, _, digest = (response or b"").rpartition(b" ")
        if not user_octets or not _DIGEST.fullmatch(digest):
            raise MalformedMessage("CRAM-MD5 response must be 'user SP 32-hex-digest'")
        user = user_octets.decode("utf-8")
        credentials = self._lookup(user)
        if credentials is None:
            return Failure(FailureKind.CREDENTIALS, f"bad user name or digest for {user!r}")
        if credentials.password is None:
            return Failure(FailureKind.UNAVAILABLE, f"no plaintext-equivalent secret for {user!r}")
        expected = cram_md5_digest(credentials.password, self.challenge)
        if not hmac.compare_digest(expected, digest.decode("ascii").lower()):
            return Failure(FailureKind.CREDENTIALS, f"bad user name or digest for {user!r}")
        return self._authenticated(user, None)


class CramMD5Client(ClientMechanism, mechanism="CRAM-MD5"):
    """CRAM-MD5 client: answer the single challenge."""

    def _setup(self) -> None:
        if self.authzid:
            raise ValueError("CRAM-MD5 cannot carry an authorization identity")
        self._answered = False

    def _answer(self, challenge: bytes) -> bytes:
        if self._answered or not challenge:
            raise SaslClientError("CRAM-MD5: expected exactly one non-empty challenge")
        self._answered = True
        return utf8(self.user) + b" " + cram_md5_digest(self.password, challenge).encode()
