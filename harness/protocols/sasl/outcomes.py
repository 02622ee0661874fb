"""What a server mechanism answers at each step, and the errors of the SASL layer.

RFC 4422 §3.4: an exchange is a series of server challenges and client
responses ending in an *outcome*: success (possibly with additional data) or
failure. A server mechanism returns one of ``Challenge``, ``Success`` or
``Failure`` from every step, so the protocol core only has to frame it
(``+ `` / ``334 `` / ``+ `` for challenges, ``+OK`` / ``235`` / ``OK`` for
success). Malformed client input is always a ``Failure``, never an exception.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from harness.protocols.common.errors import RemoteProtocolError


class FailureKind(enum.Enum):
    """Why an exchange failed; protocols map it to their codes (POP3 ``[AUTH]``, SMTP 535/501)."""

    CREDENTIALS = "credentials"  # unknown user, wrong password, bad proof
    AUTHORIZATION = "authorization"  # authenticated, but may not act as the authzid
    MALFORMED = "malformed"  # the client's message breaks the mechanism's grammar
    CANCELLED = "cancelled"  # the client answered "*"
    UNAVAILABLE = "unavailable"  # no usable secret for this mechanism and user


@dataclass(frozen=True)
class Challenge:
    """Send ``data`` to the client (the core base64-encodes it) and await a response."""

    data: bytes


@dataclass(frozen=True)
class Success:
    """Authenticated as ``authcid``; ``data`` is additional server data, if any.

    ``authzid`` is the identity the client asked to act as (None if it asked for
    none); ``identity`` is the one the session should run as.
    """

    authcid: str
    authzid: str | None = None
    data: bytes | None = None

    @property
    def identity(self) -> str:
        return self.authzid if self.authzid else self.authcid


@dataclass(frozen=True)
class Failure:
    """The exchange is over and failed; ``reason`` is for logs, never for the wire."""

    kind: FailureKind
    reason: str


Outcome = Challenge | Success | Failure


class UnknownMechanism(ValueError):
    """No mechanism of that name is implemented here."""


class MalformedMessage(ValueError):
    """A mechanism message does not follow its grammar (internal: becomes a Failure)."""


class SaslClientError(RemoteProtocolError):
    """The server's challenge cannot be answered: it is malformed, or the server
    failed to prove itself (SCRAM server signature). The client should cancel
    the exchange (send ``*``) and treat the server as not authenticated."""
