"""What one delivery attempt settled for each recipient.

RFC 5321 §4.2.1 / §4.5.4.1: a 2yz reply means the next hop took the message,
4yz that the attempt failed for now ("the sender-SMTP ... SHOULD retry"),
5yz that it failed for good. Connection trouble (refused, timed out,
dropped) is transient too. Every recipient of an attempt ends in exactly one
``RecipientResult``; the worker turns them into queue updates and DSNs.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from harness.protocols.smtp import Reply


class Verdict(enum.Enum):
    DELIVERED = "delivered"  # the next hop answered 2yz after the message text
    DEFERRED = "deferred"  # try again later
    FAILED = "failed"  # permanent: bounce to the sender


@dataclass(frozen=True, slots=True)
class RecipientResult:
    """One recipient's outcome.

    ``status``: an RFC 3463 code, from the reply when it carried one.
    ``diagnostic``: (diagnostic-type, text) as RFC 3464 §2.3.6 puts it: ("smtp",
    the reply) when a next hop answered, ("x-mailharness", why) for what this
    relay found itself (no route, connection refused, no 8BITMIME...).
    ``remote_mta``: the next hop, when one was reached. ``dsn_capable``: it
    advertised DSN, so it reports success itself (RFC 3461 §6.2.1).
    """

    recipient: str
    verdict: Verdict
    status: str
    diagnostic: tuple[str, str]
    remote_mta: str | None = None
    dsn_capable: bool = True

    @property
    def summary(self) -> str:
        return f"{self.recipient}: {self.status} {self.diagnostic[1]}"


def verdict_of(code: int) -> Verdict:
    if code < 400:
        return Verdict.DELIVERED
    return Verdict.DEFERRED if code < 500 else Verdict.FAILED


def reply_text(reply: Reply) -> str:
    """The reply on one line, as Diagnostic-Code quotes it: "550 5.1.1 No such user"."""
    status = "" if reply.enhanced is None else f" {reply.enhanced}"
    text = " ".join(line for line in reply.lines if line)
    return f"{reply.code}{status} {text}".rstrip()


def reply_status(reply: Reply) -> str:
    """The reply's RFC 3463 code, or the generic one of its class (RFC 3463 §3.1)."""
    if reply.enhanced is not None:
        return str(reply.enhanced)
    return {2: "2.0.0", 4: "4.0.0", 5: "5.0.0"}.get(reply.code // 100, "4.0.0")


def from_reply(
    recipients: Iterable[str], reply: Reply, remote_mta: str, *, dsn_capable: bool
) -> list[RecipientResult]:
    """Every recipient gets what ``reply`` says (MAIL refused, DATA refused...)."""
    verdict, status, text = verdict_of(reply.code), reply_status(reply), reply_text(reply)
    return [
        RecipientResult(rcpt, verdict, status, ("smtp", text), remote_mta, dsn_capable)
        for rcpt in recipients
    ]


def local_failure(
    recipients: Iterable[str],
    verdict: Verdict,
    status: str,
    why: str,
    remote_mta: str | None = None,
) -> list[RecipientResult]:
    """Every recipient gets a verdict this relay reached without a reply to quote."""
    return [
        RecipientResult(rcpt, verdict, status, ("x-mailharness", why), remote_mta)
        for rcpt in recipients
    ]
