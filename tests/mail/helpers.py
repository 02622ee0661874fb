"""Shared by the tests of harness.mail."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage, Message

from harness.mail.kinds import ALL_KINDS

ALL_KIND_NAMES = [kind.name for kind in ALL_KINDS]


def parse(raw: bytes) -> EmailMessage:
    """The stdlib's reading of ``raw``, with the modern header policy."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def leaf_parts(message: Message) -> list[Message]:
    """Non-multipart parts in walk order (message/rfc822 counts as a container)."""
    return [part for part in message.walk() if not part.is_multipart()]


def physical_lines(raw: bytes) -> list[bytes]:
    """Lines split on CRLF, the final empty piece after the last CRLF dropped."""
    lines = raw.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def children(part: Message) -> list[Message]:
    """The sub-parts of a multipart or message/rfc822 part (empty for a leaf)."""
    payload = part.get_payload()
    if not isinstance(payload, list):
        return []
    return [child for child in payload if isinstance(child, Message)]
