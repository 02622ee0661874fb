"""What the next hop must offer before a message may be sent to it, and the
MAIL and RCPT parameters it gets (pure: the EHLO keywords in, a decision out).

The relay passes the message on unchanged or not at all:

* RFC 6152 §3 lets a relay convert 8-bit mail to 7 bits for a next hop
  without 8BITMIME, but conversion breaks signed mail (RFC 1847 §2.1: the
  signed content "MUST NOT" be altered), so such mail is bounced instead;
* RFC 3030 §3: BINARYMIME content goes only to a hop with BINARYMIME and
  CHUNKING;
* RFC 6531 §3.2: mail that needs SMTPUTF8 is bounced by a relay whose next
  hop does not offer it, not mangled;
* RFC 5321 §2.3.8: the client "MUST NOT" send a bare CR or LF;
* RFC 1870 §6.3: a message larger than the hop's fixed SIZE is not sent.

Parameters of an extension go only to a hop that advertised it (RFC 5321
§4.1.1.11 / §4.2.4); the DSN parameters travel unchanged (RFC 3461 §5.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from harness.protocols.smtp import MailParams, RcptParams
from harness.server.delivery import MailEnvelope, Recipient

Extensions = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why the message cannot go to this hop: a permanent failure for all of it."""

    status: str  # RFC 3463
    why: str


def is_8bit(content: bytes) -> bool:
    return not content.isascii()


def has_bare_newline(content: bytes) -> bool:
    crlf = content.count(b"\r\n")
    return content.count(b"\r") != crlf or content.count(b"\n") != crlf


def needs_smtputf8(
    envelope: MailEnvelope, recipients: tuple[Recipient, ...], content: bytes
) -> bool:
    """UTF-8 in an address, or UTF-8 header text declared with SMTPUTF8 (RFC 6532)."""
    if not envelope.reverse_path.isascii():
        return True
    if any(not recipient.address.isascii() for recipient in recipients):
        return True
    return envelope.smtputf8 and is_8bit(content)


def refusal(
    envelope: MailEnvelope, recipients: tuple[Recipient, ...], content: bytes, ext: Extensions
) -> Refusal | None:
    """Why the message cannot be relayed to a hop offering ``ext``, or None."""
    binary = envelope.body == "BINARYMIME"
    if binary and not ("BINARYMIME" in ext and "CHUNKING" in ext):
        return Refusal("5.6.3", "next hop offers no BINARYMIME with CHUNKING (RFC 3030 section 3)")
    if not binary and has_bare_newline(content):
        return Refusal("5.6.0", "message has a bare CR or LF (RFC 5321 section 2.3.8), not sent")
    if not binary and is_8bit(content) and "8BITMIME" not in ext:
        return Refusal(
            "5.6.3",
            "next hop does not offer 8BITMIME; 8-bit mail is not converted "
            "(RFC 6152 section 3), since conversion breaks signatures (RFC 1847 section 2.1)",
        )
    if needs_smtputf8(envelope, recipients, content) and "SMTPUTF8" not in ext:
        return Refusal("5.6.7", "next hop does not offer SMTPUTF8 (RFC 6531 section 3.2)")
    limit = advertised_size(ext)
    if limit is not None and len(content) > limit:
        return Refusal("5.3.4", f"message of {len(content)} octets exceeds next hop's SIZE {limit}")
    return None


def advertised_size(ext: Extensions) -> int | None:
    """RFC 1870 §4: SIZE with no value or 0 sets no fixed maximum."""
    params = ext.get("SIZE")
    if not params or not (params[0].isascii() and params[0].isdigit()) or int(params[0]) == 0:
        return None
    return int(params[0])


def mail_params(
    envelope: MailEnvelope, recipients: tuple[Recipient, ...], content: bytes, ext: Extensions
) -> MailParams:
    dsn = "DSN" in ext
    return MailParams(
        size=len(content) if "SIZE" in ext else None,
        body=_body_param(envelope, content, ext),
        smtputf8=needs_smtputf8(envelope, recipients, content) and "SMTPUTF8" in ext,
        ret=envelope.ret if dsn else None,
        envid=envelope.envid if dsn else None,
    )


def _body_param(envelope: MailEnvelope, content: bytes, ext: Extensions) -> str | None:
    if envelope.body == "BINARYMIME":
        return "BINARYMIME"
    if "8BITMIME" not in ext:
        return None  # 7-bit content (8-bit was refused above): no BODY needed
    if is_8bit(content):
        return "8BITMIME"  # whatever was declared, the octets decide
    return envelope.body


def rcpt_params(recipient: Recipient, ext: Extensions) -> RcptParams:
    if "DSN" not in ext:
        return RcptParams()
    return RcptParams(notify=recipient.notify, orcpt=recipient.orcpt)
