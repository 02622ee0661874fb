"""The two halves every mechanism implements, and the registry behind ``create``.

A mechanism is a sans-IO step object (RFC 4422 §3.4): bytes in, outcome out.

Server side::

    server = ServerMechanism.create("SCRAM-SHA-256", credentials=lookup)
    outcome = server.start(initial_response)      # bytes, or None if absent
    while isinstance(outcome, Challenge):
        outcome = server.step(client_response)    # decoded bytes
    # Success(authcid, authzid, data) or Failure(kind, reason)

Client side::

    client = ClientMechanism.create("PLAIN", "user", "password", authzid=None)
    first = client.initial_response()             # None: the mechanism has none
    response = client.step(challenge)             # may raise SaslClientError
    client.finish(success_data)                   # SCRAM: checks the server proved itself

If a protocol cannot carry the initial response (too long for the command
line), send the command without it; the server answers an empty challenge and
``client.step(b"")`` returns the initial response then.
"""

from __future__ import annotations

import abc
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from harness.protocols.common.errors import LocalProtocolError
from harness.protocols.sasl.credentials import (
    Authorizer,
    CredentialLookup,
    Credentials,
    same_identity_only,
)
from harness.protocols.sasl.outcomes import (
    Challenge,
    Failure,
    FailureKind,
    MalformedMessage,
    Outcome,
    SaslClientError,
    Success,
    UnknownMechanism,
)

NonceFactory = Callable[[], str]


def random_nonce() -> str:
    """24 printable characters, never ",": fits SCRAM nonces and CRAM-MD5 msg-ids."""
    return secrets.token_urlsafe(18)


@dataclass(frozen=True)
class ServerContext:
    """What the application supplies to every server mechanism."""

    credentials: CredentialLookup
    authorize: Authorizer = same_identity_only
    hostname: str = "localhost"
    nonce: NonceFactory = random_nonce


class ServerMechanism(abc.ABC):
    """The server half: verify a client against the application's credentials."""

    name: ClassVar[str] = ""
    _registry: ClassVar[dict[str, type[ServerMechanism]]] = {}

    def __init_subclass__(cls, *, mechanism: str = "", **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if mechanism:
            cls.name = mechanism
            ServerMechanism._registry[mechanism] = cls

    def __init__(self, context: ServerContext) -> None:
        self.context = context
        self._started = False
        self.done = False
        self.outcome: Success | Failure | None = None
        self._setup()

    @classmethod
    def create(
        cls,
        name: str,
        *,
        credentials: CredentialLookup,
        authorize: Authorizer = same_identity_only,
        hostname: str = "localhost",
        nonce: NonceFactory = random_nonce,
    ) -> ServerMechanism:
        """A fresh server mechanism by (case-insensitive) name; UnknownMechanism if none."""
        impl = cls._registry.get(name.upper())
        if impl is None:
            raise UnknownMechanism(f"no SASL mechanism {name!r}")
        return impl(ServerContext(credentials, authorize, hostname, nonce))

    @staticmethod
    def names() -> tuple[str, ...]:
        """Every server mechanism implemented, strongest first."""
        return tuple(sorted(ServerMechanism._registry, key=_strength))

    def start(self, initial_response: bytes | None) -> Outcome:
        """Begin the exchange; ``initial_response`` is None when the client sent none."""
        if self._started:
            raise LocalProtocolError(f"{self.name}: start() called twice")
        self._started = True
        return self._guarded(self._start, initial_response)

    def step(self, response: bytes) -> Outcome:
        """Feed the client's (decoded) answer to the last challenge."""
        if not self._started or self.done:
            raise LocalProtocolError(f"{self.name}: step() outside an exchange")
        return self._guarded(self._step, response)

    def cancel(self) -> Failure:
        """The client sent "*": the exchange fails (RFC 4422 §3.5)."""
        failure = Failure(FailureKind.CANCELLED, "client cancelled the exchange")
        self._finish(failure)
        return failure

    def _guarded(self, func: Callable[[bytes | None], Outcome], data: bytes | None) -> Outcome:
        # Malformed input ends the exchange as a Failure, never as a crash.
        try:
            outcome = func(data)
        except (MalformedMessage, ValueError) as exc:
            outcome = Failure(FailureKind.MALFORMED, str(exc))
        if isinstance(outcome, Challenge):
            return outcome
        return self._finish(outcome)

    def _finish(self, outcome: Success | Failure) -> Success | Failure:
        self.done = True
        self.outcome = outcome
        return outcome

    def _lookup(self, username: str) -> Credentials | None:
        return self.context.credentials(username)

    def _authenticated(
        self, authcid: str, authzid: str | None, data: bytes | None = None
    ) -> Success | Failure:
        """Success if ``authcid`` may act as ``authzid`` (RFC 4422 §3.4.1)."""
        if authzid and not self.context.authorize(authcid, authzid):
            return Failure(FailureKind.AUTHORIZATION, f"{authcid!r} may not act as {authzid!r}")
        return Success(authcid, authzid or None, data)

    def _setup(self) -> None:  # noqa: B027  (an optional hook, not an abstract one)
        """Per-mechanism state, after the common fields are set."""

    @abc.abstractmethod
    def _start(self, initial_response: bytes | None) -> Outcome: ...

    @abc.abstractmethod
    def _step(self, response: bytes | None) -> Outcome: ...


class ClientMechanism(abc.ABC):
    """The client half: answer challenges for one user."""

    name: ClassVar[str] = ""
    has_initial_response: ClassVar[bool] = False
    _registry: ClassVar[dict[str, type[ClientMechanism]]] = {}

    def __init_subclass__(cls, *, mechanism: str = "", **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if mechanism:
            cls.name = mechanism
            ClientMechanism._registry[mechanism] = cls

    def __init__(self, user: str, password: str, authzid: str | None, nonce: NonceFactory) -> None:
        self.user = user
        self.password = password
        self.authzid = authzid or None
        self.nonce = nonce
        self._initial_given = False
        self._setup()

    @classmethod
    def create(
        cls,
        name: str,
        user: str,
        password: str,
        authzid: str | None = None,
        *,
        nonce: NonceFactory = random_nonce,
    ) -> ClientMechanism:
        """A fresh client mechanism by (case-insensitive) name; UnknownMechanism if none."""
        impl = cls._registry.get(name.upper())
        if impl is None:
            raise UnknownMechanism(f"no SASL mechanism {name!r}")
        return impl(user, password, authzid, nonce)

    @staticmethod
    def names() -> tuple[str, ...]:
        """Every client mechanism implemented, strongest first."""
        return tuple(sorted(ClientMechanism._registry, key=_strength))

    def initial_response(self) -> bytes | None:
        """The client-first message, or None for server-first mechanisms."""
        if not self.has_initial_response:
            return None
        self._initial_given = True
        return self._initial()

    def step(self, challenge: bytes) -> bytes:
        """The response to a (decoded) server challenge; SaslClientError if unanswerable."""
        if self.has_initial_response and not self._initial_given:
            if challenge:
                raise SaslClientError(f"{self.name}: expected an empty first challenge")
            self._initial_given = True
            return self._initial()
        return self._answer(challenge)

    def finish(self, success_data: bytes | None = None) -> None:
        """The server reported success; raise SaslClientError if it must not be believed."""
        if success_data:
            raise SaslClientError(f"{self.name}: unexpected additional data with success")

    def _setup(self) -> None:  # noqa: B027  (an optional hook, not an abstract one)
        """Per-mechanism state, after the common fields are set."""

    def _initial(self) -> bytes:
        raise SaslClientError(f"{self.name}: no initial response")

    @abc.abstractmethod
    def _answer(self, challenge: bytes) -> bytes: ...


_STRENGTH = ("SCRAM-SHA-256", "CRAM-MD5", "PLAIN", "LOGIN")


def _strength(name: str) -> int:
    return _STRENGTH.index(name) if name in _STRENGTH else len(_STRENGTH)
