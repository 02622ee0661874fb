"""Decoding a captured conversation with both sans-IO cores of its protocol.

A passive observer has no application to answer the cores, so each core's
peer is played by the other core: the server-role core reads the client's
bytes (yielding commands) and is answered with the replies that the
client-role core reads out of the server's bytes; the client-role core is
told each command the server-role core read, so it knows what every reply
answers (POP3 multi-line framing, SMTP's 354, IMAP literals and phases).

What the cores refuse is a protocol violation, charged to whoever sent the
bytes: ``RemoteProtocolError`` from the server-role core is the client's
fault, from the client-role core the server's. A command the server-role
core refused still gets a reply from the real server, so a stand-in command
is queued on the client-role core for that reply. When the two cores can no
longer agree (``LocalProtocolError``: the capture shows something neither
state machine can follow), decoding stops with a note and the rest of the
conversation is shown as captured, undecoded.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

from harness.protocols.common import LocalProtocolError, RemoteProtocolError
from harness.transcript import Direction

MAX_STEPS = 100_000  # events per feed (one TCP chunk): a bound far above real traffic


@dataclass(frozen=True)
class Note:
    """A comment placed after transcript event ``index``: a violation or a fact."""

    index: int
    text: str
    violation: bool = True


class DecodingLost(Exception):
    """The cores cannot follow the conversation any further."""


class Dialogue(abc.ABC):
    """Both cores of one protocol, fed with one connection's bytes in time order."""

    protocol = ""

    def __init__(self) -> None:
        self.notes: list[Note] = []
        self.lost = False
        self._index = 0

    def feed(self, index: int, sender: Direction, data: bytes) -> None:
        """Bytes ``sender`` wrote (b"": it closed), shown as transcript event ``index``."""
        if self.lost:
            return
        self._index = index
        try:
            if sender is Direction.CLIENT:
                self._client_bytes(data)
            else:
                self._server_bytes(data)
            self._pump()
        except (LocalProtocolError, DecodingLost) as error:
            self._lose(str(error))

    def _pump(self) -> None:
        """Alternate: every command the server-role core can yield, then one response."""
        for _ in range(MAX_STEPS):
            progress = False
            while self._next_command():
                progress = True
            if self._next_response():
                progress = True
            if not progress:
                return
        raise DecodingLost(f"more than {MAX_STEPS} events in one step")

    def violation(self, who: Direction, error: RemoteProtocolError | str) -> None:
        message = error.message if isinstance(error, RemoteProtocolError) else error
        self.notes.append(Note(self._index, f"{who.value} violation: {message}"))

    def note(self, text: str) -> None:
        self.notes.append(Note(self._index, text, violation=False))

    def _lose(self, why: str) -> None:
        self.lost = True
        self.note(f"decoding stopped ({why}); the rest is shown as captured")

    @property
    def violations(self) -> list[Note]:
        return [note for note in self.notes if note.violation]

    @abc.abstractmethod
    def _client_bytes(self, data: bytes) -> None:
        """Give the client's bytes to the server-role core."""

    @abc.abstractmethod
    def _server_bytes(self, data: bytes) -> None:
        """Give the server's bytes to the client-role core."""

    @abc.abstractmethod
    def _next_command(self) -> bool:
        """Take one event from the server-role core and mirror it; False if none now."""

    @abc.abstractmethod
    def _next_response(self) -> bool:
        """Take one event from the client-role core and mirror it; False if none now."""
