"""Trace fields: what the server prepends to a message it accepts (RFC 5321 §4.4).

§4.4: "When an SMTP server receives a message for delivery or further
processing, it MUST insert trace ("time stamp" or "Received") information at
the beginning of the message content", and "When the delivery SMTP server
makes the "final delivery" of a message, it inserts a return-path line at
the beginning of the mail data". So a locally delivered message starts with

    Return-Path: <sender@example.org>
    Received: from client.example ([127.0.0.1])
            by mail.example.test with ESMTPSA id 6F0C2A91D3E84B57
            for <alice@example.test>; Mon, 01 Jan 2024 12:00:00 +0000

and a relayed one with the Received field only (a relay "MUST NOT" add
Return-Path). Nothing else is added and no other byte changes. The grammar:

    Time-stamp-line = "Received:" FWS Stamp <CRLF>
    Stamp           = From-domain By-domain Opt-info [CFWS] ";" FWS date-time
    From-domain     = "FROM" FWS Extended-Domain
    Extended-Domain = Domain / ( Domain FWS "(" TCP-info ")" ) / ...
    TCP-info        = address-literal / ( Domain FWS address-literal )
    With            = CFWS "WITH" FWS Protocol    ; RFC 3848, RFC 6531 §3.7.3
    ID              = CFWS "ID" FWS ( Atom / msg-id )
    For             = CFWS "FOR" FWS ( Path / Mailbox )

"If the FOR clause appears, it MUST contain exactly one <path> entry, even
when multiple RCPT commands have been given": it is written only when the
message has exactly one recipient, so one stored copy serves every local
mailbox and no recipient learns of another.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from functools import lru_cache

CRLF = b"\r\n"
_FOLD = "\r\n\t"


@dataclass(frozen=True, slots=True)
class TraceInfo:
    """What the Received field says about one transaction."""

    helo: str  # the client's HELO/EHLO argument
    client_ip: str
    hostname: str  # this server
    protocol: str  # the WITH keyword: see ``with_protocol``
    message_id: str  # an Atom; also in the 250 reply and the log
    when: datetime  # timezone-aware


def with_protocol(*, extended: bool, tls: bool, authenticated: bool, smtputf8: bool) -> str:
    """The WITH keyword: RFC 3848 (SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA) and
    RFC 6531 §3.7.3 (UTF8SMTP, UTF8SMTPS, UTF8SMTPA, UTF8SMTPSA)."""
    if not extended:
        return "SMTP"  # HELO: no extensions, so no TLS, AUTH or SMTPUTF8 either
    base = "UTF8SMTP" if smtputf8 else "ESMTP"
    return base + ("S" if tls else "") + ("A" if authenticated else "")


@lru_cache(maxsize=256)  # a session's client is written into every Received field
def address_literal(ip: str) -> str:
    """RFC 5321 §4.1.3: "[192.0.2.1]" or "[IPv6:2001:db8::1]"."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return f"[{ip}]"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"[{address.ipv4_mapped}]"
        return f"[IPv6:{address.compressed}]"
    return f"[{address}]"


def _helo_domain(helo: str, smtputf8: bool) -> str:
    """A UTF-8 HELO (RFC 6531 U-label) goes into a header as its A-label unless
    the message is SMTPUTF8 (RFC 6532 allows UTF-8 header text only then)."""
    if helo.isascii() or smtputf8:
        return helo
    try:
        return helo.encode("idna").decode("ascii")
    except UnicodeError:
        return "unknown"


def received_field(trace: TraceInfo, recipient: str | None, *, smtputf8: bool = False) -> bytes:
    """The Received field with its CRLF; ``recipient`` is the FOR path, if one."""
    helo = _helo_domain(trace.helo, smtputf8)
    parts = [
        f"Received: from {helo} ({address_literal(trace.client_ip)})",
        f"by {trace.hostname} with {trace.protocol} id {trace.message_id}",
    ]
    stamp = _date_time(trace.when)
    if recipient is not None:
        parts.append(f"for <{recipient}>; {stamp}")
    else:
        parts[-1] += ";"
        parts.append(stamp)
    return _FOLD.join(parts).encode() + CRLF


def _date_time(when: datetime) -> str:
    # Equal datetimes in different zones are one key to a cache: add the zone.
    return _formatted_date_time(when, when.utcoffset())


@lru_cache(maxsize=4)  # the SMTP session stamps whole seconds: one formatting per second
def _formatted_date_time(when: datetime, offset: object) -> str:
    return format_datetime(when)


def return_path_field(reverse_path: str) -> bytes:
    """RFC 5322 §3.6.7 ``return = "Return-Path:" path CRLF``; "" is ``<>``."""
    return f"Return-Path: <{reverse_path}>".encode() + CRLF


def split_trace(stored: bytes) -> tuple[bytes, bytes]:
    """(trace, original): the Return-Path and Received fields this server put
    in front of a delivered message, and the message exactly as it was sent.

    Tests and fidelity checks compare ``original`` with what the client sent.
    """
    end = 0
    if stored.startswith(b"Return-Path:"):
        end = stored.index(CRLF) + 2
    if stored.startswith(b"Received:", end):
        end = stored.index(CRLF, end) + 2
        while stored[end : end + 1] in (b" ", b"\t"):  # folded continuation lines
            end = stored.index(CRLF, end) + 2
    return stored[:end], stored[end:]
