"""Errors that say whose fault they are.

``RemoteProtocolError``: the peer sent something the grammar or the state
machine does not allow. A server core fills ``reply`` with what it should answer
(for SMTP a code and enhanced code, for POP3 an ``-ERR`` line, for IMAP a tagged
BAD), so the I/O layer can answer without knowing the grammar. ``fatal`` says the
connection cannot continue (framing lost, limits blown), so the I/O layer should
send the reply and close.

``LocalProtocolError``: our own code asked the core to do something the
protocol forbids (send DATA before RCPT, a reply in the wrong state). It is a
bug in the caller, never caused by the peer.
"""

from __future__ import annotations


class ProtocolError(Exception):
    """Base class: a protocol rule was broken (see the subclasses for whose fault)."""

    def __init__(self, message: str, *, reply: bytes | None = None, fatal: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.reply = reply
        self.fatal = fatal


class LocalProtocolError(ProtocolError):
    """We misused the core: an event that is not allowed in the current state."""


class RemoteProtocolError(ProtocolError):
    """The peer broke the protocol; ``reply`` is what a server should send back."""
