"""Delivery status notifications: the RFC 3464 report inside an RFC 6522 multipart/report.

A DSN the relay sends to a message's sender looks like this (RFC 6522 §3,
RFC 3464 §2):

    Content-Type: multipart/report; report-type=delivery-status; boundary=...

    --boundary
    Content-Type: text/plain                      what happened, for people
    --boundary
    Content-Type: message/delivery-status         the same, for programs:
                                                  per-message fields, then one
                                                  block per recipient
    --boundary
    Content-Type: message/rfc822                  the message (RET=FULL), or
                 (text/rfc822-headers)            its header only (RET=HDRS)
    --boundary--

RFC 3464 §2.2 and §2.3, in the order they must appear:

    per-message-fields   = [ original-envelope-id-field CRLF ]
                           reporting-mta-field CRLF
                           [ dsn-gateway-field CRLF ]
                           [ received-from-mta-field CRLF ]
                           [ arrival-date-field CRLF ]
    per-recipient-fields = [ original-recipient-field CRLF ]
                           final-recipient-field CRLF
                           action-field CRLF
                           status-field CRLF
                           [ remote-mta-field CRLF ]
                           [ diagnostic-code-field CRLF ]
                           [ last-attempt-date-field CRLF ]
                           [ final-log-id-field CRLF ]
                           [ will-retry-until-field CRLF ]

Everything here is pure: a ``DeliveryReport`` in, the message bytes out.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

CRLF = b"\r\n"
# RFC 3461 §4.3 leaves the content of a DSN with no RET to the MTA; above this
# size only the header is returned, as Postfix's bounce_size_limit does.
FULL_RETURN_LIMIT = 1 << 20
_BOUNDARY_TRIES = 8  # a random 32-hex boundary inside the content is ~impossible


class Action(enum.StrEnum):
    """RFC 3464 §2.3.3 action-value (the ones a relay reports)."""

    FAILED = "failed"
    DELAYED = "delayed"
    DELIVERED = "delivered"
    RELAYED = "relayed"  # to a next hop that does not speak DSN (RFC 3461 §6.2.1)


@dataclass(frozen=True, slots=True)
class RecipientReport:
    """One recipient's block. ``diagnostic``: (diagnostic-type, text), e.g.
    ("smtp", "550 5.1.1 No such user"); ``remote_mta`` a host name."""

    final_recipient: str
    action: Action
    status: str  # RFC 3463 class.subject.detail
    original_recipient: tuple[str, str] | None = None  # ORCPT: (addr-type, address)
    remote_mta: str | None = None
    diagnostic: tuple[str, str] | None = None
    last_attempt: datetime | None = None
    will_retry_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one DSN says: who reports, about which message, per recipient.

    ``ret``: the sender's RET ("FULL", "HDRS" or None, RFC 3461 §4.3).
    """

    reporting_mta: str
    sender: str  # the original reverse-path: where the DSN goes
    arrival: datetime
    recipients: tuple[RecipientReport, ...]
    envid: str | None = None
    ret: str | None = None

    @property
    def has_failures(self) -> bool:
        return any(r.action is Action.FAILED for r in self.recipients)


def build_dsn(report: DeliveryReport, original: bytes, *, message_id: str, now: datetime) -> bytes:
    """The complete DSN message (header and body, CRLF line ends)."""
    returned, returned_type = _returned_content(report, original)
    boundary = _boundary(original)
    parts = [
        _part(_text_type(report), _human_readable(report, returned_type)),
        _part(b"message/delivery-status", _delivery_status(report)),
        _part(returned_type, returned, eight_bit=not returned.isascii()),
    ]
    body = b"".join(b"--" + boundary + CRLF + part + CRLF for part in parts)
    body += b"--" + boundary + b"--" + CRLF
    head = _header(report, boundary, message_id, now, eight_bit=not returned.isascii())
    return head + CRLF + b"This is a MIME-encapsulated message." + CRLF + CRLF + body


def _header(
    report: DeliveryReport, boundary: bytes, message_id: str, now: datetime, *, eight_bit: bool
) -> bytes:
    fields = [
        f"From: Mail Delivery System <MAILER-DAEMON@{report.reporting_mta}>",
        f"To: <{report.sender}>",
        f"Subject: {_subject(report)}",
        f"Date: {format_datetime(now)}",
        f"Message-ID: <{message_id}>",
        # RFC 3834 §5: a machine-generated reply, so no auto-responder answers it
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        "Content-Type: multipart/report; report-type=delivery-status;",
        f'\tboundary="{boundary.decode()}"',
    ]
    if eight_bit:
        fields.append("Content-Transfer-Encoding: 8bit")
    return "".join(field + "\r\n" for field in fields).encode()


def _subject(report: DeliveryReport) -> str:
    actions = {r.action for r in report.recipients}
    if Action.FAILED in actions:
        return "Undelivered Mail Returned to Sender"
    if Action.DELAYED in actions:
        return "Delayed Mail (still being retried)"
    return "Successful Mail Delivery Report"


def _part(content_type: bytes, body: bytes, *, eight_bit: bool = False) -> bytes:
    head = b"Content-Type: " + content_type + CRLF
    if eight_bit:
        head += b"Content-Transfer-Encoding: 8bit" + CRLF
    return head + CRLF + body


def _text_type(report: DeliveryReport) -> bytes:
    ascii_only = all(r.final_recipient.isascii() for r in report.recipients)
    return b"text/plain; charset=" + (b"us-ascii" if ascii_only else b"utf-8")


def _human_readable(report: DeliveryReport, returned_type: bytes) -> bytes:
    lines = [f"This is the mail system at host {report.reporting_mta}.", ""]
    lines += _explanation(report)
    for recipient in report.recipients:
        lines.append("")
        lines.append(f"<{recipient.final_recipient}>: {recipient.action.value}, {recipient.status}")
        if recipient.diagnostic is not None:
            lines.append(f"    {recipient.diagnostic[1]}")
        if recipient.remote_mta is not None:
            lines.append(f"    (reported by {recipient.remote_mta})")
    what = "its header" if returned_type.startswith(b"text/") else "the message"
    lines += ["", f"Attached: the delivery report, then {what}."]
    return "".join(line + "\r\n" for line in lines).encode()


def _explanation(report: DeliveryReport) -> list[str]:
    actions = {r.action for r in report.recipients}
    said = []
    if Action.FAILED in actions:
        said.append("Your message could not be delivered to the recipients marked failed.")
    if Action.DELAYED in actions:
        said.append("Delivery to the recipients marked delayed is late; it is still being tried.")
    if actions & {Action.DELIVERED, Action.RELAYED}:
        said.append("Your message was delivered, or passed on, as you asked to be told.")
    return said


def _delivery_status(report: DeliveryReport) -> bytes:
    blocks = [_per_message_fields(report)]
    blocks += [_per_recipient_fields(recipient) for recipient in report.recipients]
    return CRLF.join(blocks)


def _per_message_fields(report: DeliveryReport) -> bytes:
    fields = []
    if report.envid is not None:
        fields.append(f"Original-Envelope-Id: {report.envid}")
    fields.append(f"Reporting-MTA: dns; {report.reporting_mta}")
    fields.append(f"Arrival-Date: {format_datetime(report.arrival)}")
    return _fields(fields)


def _per_recipient_fields(recipient: RecipientReport) -> bytes:
    fields = []
    if recipient.original_recipient is not None:
        kind, address = recipient.original_recipient
        fields.append(f"Original-Recipient: {kind};{address}")
    fields.append(
        f"Final-Recipient: {address_type(recipient.final_recipient)}; {recipient.final_recipient}"
    )
    fields.append(f"Action: {recipient.action.value}")
    fields.append(f"Status: {recipient.status}")
    if recipient.remote_mta is not None:
        fields.append(f"Remote-MTA: dns; {recipient.remote_mta}")
    if recipient.diagnostic is not None:
        fields.append(f"Diagnostic-Code: {recipient.diagnostic[0]}; {recipient.diagnostic[1]}")
    if recipient.last_attempt is not None:
        fields.append(f"Last-Attempt-Date: {format_datetime(recipient.last_attempt)}")
    if recipient.will_retry_until is not None:
        fields.append(f"Will-Retry-Until: {format_datetime(recipient.will_retry_until)}")
    return _fields(fields)


def address_type(address: str) -> str:
    """RFC 3464 address-type: "rfc822", or "utf-8" for an RFC 6531 address (RFC 6533 §3)."""
    return "rfc822" if address.isascii() else "utf-8"


def _fields(fields: Sequence[str]) -> bytes:
    # RFC 3464 §2.1.1: in a header-like block; a line break inside a value
    # (a multi-line SMTP reply) is folded away rather than ending the field.
    return "".join(" ".join(field.split()) + "\r\n" for field in fields).encode()


def _returned_content(report: DeliveryReport, original: bytes) -> tuple[bytes, bytes]:
    """RFC 3461 §4.3: RET=FULL returns the message in a "failed" DSN, RET=HDRS
    its header only; with no RET the choice is ours (full up to a size)."""
    header = message_header(original)
    full_wanted = report.has_failures and report.ret != "HDRS"
    if full_wanted and len(original) <= FULL_RETURN_LIMIT and _embeddable(original):
        return original, b"message/rfc822"
    return header, b"text/rfc822-headers"


def message_header(message: bytes) -> bytes:
    """The header section (fields with their CRLFs, no blank line)."""
    end = message.find(b"\r\n\r\n")
    if message.startswith(b"\r\n"):
        return b""
    return message if end < 0 else message[: end + 2]


def _embeddable(message: bytes) -> bool:
    """A message/rfc822 body must be 7bit or 8bit lines (RFC 2046 §5.2.1): no NUL,
    no bare CR or LF, so the DSN itself can go through DATA."""
    if b"\0" in message:
        return False
    lines = message.count(b"\r\n")
    return message.count(b"\n") == lines and message.count(b"\r") == lines


def _boundary(content: bytes) -> bytes:
    for _ in range(_BOUNDARY_TRIES):
        boundary = b"=_dsn_" + secrets.token_hex(16).encode()
        if boundary not in content:
            return boundary
    raise RuntimeError("no MIME boundary outside the returned content")  # ~2**-1000
