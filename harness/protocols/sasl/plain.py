"""PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login): password mechanisms.

Both send the password itself, so they belong only on TLS-protected sessions
(RFC 4616 §4 "...clients SHOULD NOT use PLAIN unless the channel is
protected"); enforcing that is the protocol server's policy, not the mechanism's.
The server verifies through ``Credentials.verify_password``, which works from a
plaintext secret or from a SCRAM verifier alone.

RFC 4616 §2:

    message   = [authzid] UTF8NUL authcid UTF8NUL passwd
    authcid   = 1*SAFE ; MUST accept up to 255 octets
    authzid   = 1*SAFE ; MUST accept up to 255 octets
    passwd    = 1*SAFE ; MUST accept up to 255 octets
    UTF8NUL   = %x00
    SAFE      = UTF1 / UTF2 / UTF3 / UTF4   ; any UTF-8 character except NUL

LOGIN (draft-murchison-sasl-login-00 §2): the server prompts "Username:" then
"Password:" (a client MAY send the user name as the initial response); each
answer is the bare value.
"""

from __future__ import annotations

from harness.protocols.sasl.base import ClientMechanism, ServerMechanism
from harness.protocols.sasl.outcomes import (
    Challenge,
    Failure,
    FailureKind,
    MalformedMessage,
    Outcome,
    SaslClientError,
    Success,
)
from harness.protocols.sasl.saslprep import utf8

USERNAME_PROMPT = b"Username:"
PASSWORD_PROMPT = b"Password:"


def parse_plain_message(message: bytes) -> tuple[str | None, str, str]:
    """(authzid or None, authcid, passwd) from a PLAIN message (RFC 4616 §2)."""
    fields = message.split(b"\x00")
    if len(fields) != 3:
        raise MalformedMessage("PLAIN message must hold exactly two NUL separators")
    authzid, authcid, passwd = (field.decode("utf-8") for field in fields)
    if not authcid or not passwd:
        raise MalformedMessage("PLAIN authcid and passwd must not be empty")
    return authzid or None, authcid, passwd


def build_plain_message(authzid: str | None, authcid: str, passwd: str) -> bytes:
    """The PLAIN message for these identities (RFC 4616 §2)."""
    return b"\x00".join((utf8(authzid or ""), utf8(authcid), utf8(passwd)))


class _PasswordServer(ServerMechanism):
    def _check(self, authcid: str, authzid: str | None, password: str) -> Success | Failure:
        credentials = self._lookup(authcid)
        if credentials is None or not credentials.verify_password(password):
            return Failure(FailureKind.CREDENTIALS, f"bad user name or password for {authcid!r}")
        return self._authenticated(authcid, authzid)


class PlainServer(_PasswordServer, mechanism="PLAIN"):
    """PLAIN: one client message, no server challenge unless the client sent none."""

    def _start(self, initial_response: bytes | None) -> Outcome:
        if initial_response is None:
            return Challenge(b"")  # RFC 4616 §2: the client sends the message next
        return self._step(initial_response)

    def _step(self, response: bytes | None) -> Outcome:
        authzid, authcid, passwd = parse_plain_message(response or b"")
        return self._check(authcid, authzid, passwd)


class LoginServer(_PasswordServer, mechanism="LOGIN"):
    """LOGIN: prompt for the user name (unless given initially), then the password."""

    def _setup(self) -> None:
        self._username: str | None = None

    def _start(self, initial_response: bytes | None) -> Outcome:
        if initial_response is None:
            return Challenge(USERNAME_PROMPT)
        return self._take_username(initial_response)

    def _step(self, response: bytes | None) -> Outcome:
        if self._username is None:
            return self._take_username(response or b"")
        password = (response or b"").decode("utf-8")
        if not password:
            raise MalformedMessage("LOGIN password must not be empty")
        return self._check(self._username, None, password)

    def _take_username(self, response: bytes) -> Outcome:
        username = response.decode("utf-8")
        if not username:
            raise MalformedMessage("LOGIN user name must not be empty")
        self._username = username
        return Challenge(PASSWORD_PROMPT)


class PlainClient(ClientMechanism, mechanism="PLAIN"):
    """PLAIN: the whole message is the initial response."""

    has_initial_response = True

    def _initial(self) -> bytes:
        return build_plain_message(self.authzid, self.user, self.password)

    def _answer(self, challenge: bytes) -> bytes:
        raise SaslClientError("PLAIN: the server sent a challenge after the message")


class LoginClient(ClientMechanism, mechanism="LOGIN"):
    """LOGIN: answer "Username:" and "Password:" prompts (by order if unrecognised)."""

    def _setup(self) -> None:
        if self.authzid:
            raise ValueError("LOGIN cannot carry an authorization identity")
        self._answered = 0

    def _answer(self, challenge: bytes) -> bytes:
        prompt = challenge.strip().lower()
        self._answered += 1
        if prompt.startswith(b"user"):
            return utf8(self.user)
        if prompt.startswith(b"pass"):
            return utf8(self.password)
        if self._answered > 2:
            raise SaslClientError("LOGIN: more than two prompts")
        return utf8(self.user if self._answered == 1 else self.password)
