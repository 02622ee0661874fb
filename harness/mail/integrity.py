"""The integrity header: proof that a message arrived with every octet intact.

The rule, exactly:

* A corpus message begins with the line
  ``X-Mailharness-Hash: sha256=<64 lower-case hex digits>`` CRLF.
* The digest is SHA-256 over every octet that *follows* that line's CRLF, up
  to the end of the message: the rest of the header section (the
  X-Mailharness-Id line included), the empty line, and the body.
* To verify a message as retrieved (IMAP ``BODY[]``, POP3 ``RETR`` after
  un-stuffing), find the first header line of the header section whose name
  is ``X-Mailharness-Hash`` (case-insensitive), hash the octets after its
  CRLF, and compare. Whatever a server put *above* it (``Return-Path``,
  ``Received``, ``Delivered-To``: the trace block RFC 5321 §4.4 says is
  prepended) is outside the digest, so those never break verification;
  any change below it does, including a header added at the bottom of the
  header section, re-folding, or CRLF turned into LF.

The line is never folded and has a fixed length, so the digest can be
written after the rest of the message is built.
"""

from __future__ import annotations

import hashlib
import re

HASH_HEADER = "X-Mailharness-Hash"
ID_HEADER = "X-Mailharness-Id"

_PREFIX = f"{HASH_HEADER}: sha256=".encode("ascii")
_HASH_LINE = re.compile(rb"x-mailharness-hash:[ \t]*sha256=([0-9a-f]{64})[ \t]*\r\n", re.IGNORECASE)


def stamp(rest: bytes) -> bytes:
    """Prepend the hash line to ``rest`` (the message from its second line on)."""
    digest = hashlib.sha256(rest).hexdigest().encode("ascii")
    return _PREFIX + digest + b"\r\n" + rest


def _hash_line(message: bytes) -> re.Match[bytes] | None:
    """The hash header line, searched only in the header section."""
    position = 0
    while position < len(message):
        end = message.find(b"\r\n", position)
        if end in (-1, position):  # no more lines, or the empty line ending the headers
            return None
        match = _HASH_LINE.match(message, position, end + 2)
        if match:
            return match
        position = end + 2
    return None


def claimed_digest(message: bytes) -> str | None:
    """The hex digest the message's hash header claims, or None without one."""
    match = _hash_line(message)
    return match.group(1).decode("ascii").lower() if match else None


def covered_octets(message: bytes) -> bytes | None:
    """The octets the digest covers: everything after the hash line."""
    match = _hash_line(message)
    return message[match.end() :] if match else None


def verify(message: bytes) -> bool:
    """True when ``message`` has a hash header and the octets after it match it."""
    match = _hash_line(message)
    if match is None:
        return False
    actual = hashlib.sha256(message[match.end() :]).hexdigest()
    return actual == match.group(1).decode("ascii").lower()
