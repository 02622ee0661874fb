"""The Transcript model and the recorder the I/O adapter feeds.

Everything that crosses a wire in the harness is recorded as a Transcript:
one per connection, an ordered list of events (bytes sent by the client,
bytes sent by the server, TLS started, connection closed), each stamped with
a monotonic time (for durations and ordering across connections) and the
wall-clock time it corresponds to (for reading alongside logs and pcaps).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class Direction(StrEnum):
    """Who sent the bytes, started the TLS handshake, or closed the connection."""

    CLIENT = "client"
    SERVER = "server"


class EventKind(StrEnum):
    DATA = "data"
    TLS = "tls"  # the TLS handshake starts here; later data is inside TLS
    CLOSE = "close"  # ``direction`` closed its side (EOF seen or sent)


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class Event:
    kind: EventKind
    direction: Direction
    data: bytes = b""
    monotonic: float = 0.0
    wall: float = 0.0


@dataclass
class Transcript:
    """What crossed one connection, in the order it happened."""

    connection_id: str
    service: str
    client: Endpoint | None = None
    server: Endpoint | None = None
    events: list[Event] = field(default_factory=list)

    def sent_by(self, direction: Direction) -> bytes:
        """All bytes one side sent, concatenated (TLS boundaries ignored)."""
        return b"".join(
            event.data
            for event in self.events
            if event.kind is EventKind.DATA and event.direction is direction
        )

    @property
    def tls_started(self) -> bool:
        return any(event.kind is EventKind.TLS for event in self.events)

    def describe(self) -> str:
        """One line naming the connection, as written atop its text form."""
        words = [f"connection {self.connection_id}", f"service {self.service}"]
        if self.client is not None:
            words.append(f"client {self.client}")
        if self.server is not None:
            words.append(f"server {self.server}")
        return " ".join(words)


class Recorder:
    """Builds a Transcript from the calls an I/O adapter makes as bytes move.

    The adapter calls ``record(direction, data)`` after every successful send
    and every receive, ``tls_started()`` just before the handshake and
    ``closed(by)`` when a side closes. ``at`` is a ``time.monotonic()`` value
    taken when the bytes moved; when omitted, the recorder reads its clock.
    Wall-clock times are derived from one anchor taken at construction, so
    they stay consistent with the monotonic times even if the system clock
    jumps during a run.
    """

    def __init__(
        self,
        connection_id: str,
        service: str,
        *,
        client: Endpoint | None = None,
        server: Endpoint | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._anchor_monotonic = clock()
        self._anchor_wall = wall_clock()
        self.transcript = Transcript(connection_id, service, client, server)

    def record(self, direction: Direction, data: bytes, at: float | None = None) -> None:
        """Bytes that ``direction`` sent. Empty data is ignored: EOF is ``closed``."""
        if data:
            self._append(EventKind.DATA, direction, bytes(data), at)

    def tls_started(self, at: float | None = None) -> None:
        """The TLS handshake starts (the client always starts it in mail protocols)."""
        self._append(EventKind.TLS, Direction.CLIENT, b"", at)

    def closed(self, by: Direction, at: float | None = None) -> None:
        self._append(EventKind.CLOSE, by, b"", at)

    def _append(self, kind: EventKind, direction: Direction, data: bytes, at: float | None) -> None:
        monotonic = self._clock() if at is None else at
        wall = self._anchor_wall + (monotonic - self._anchor_monotonic)
        self.transcript.events.append(Event(kind, direction, data, monotonic, wall))
