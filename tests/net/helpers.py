"""Test helpers: a tiny line-protocol core with the shape of the real ones, and a
loopback server starter.

``LineCore``: each CRLF line received is one ``Line`` event; ``send(Line)``
frames one line.
``start_tls`` drops whatever plaintext is still buffered, as the real cores do
(the STARTTLS injection defence), so tests can check the adapter's ordering.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import trio

from harness.protocols.common import NEED_DATA, LineBuffer, NeedData


@dataclass(frozen=True)
class Line:
    text: bytes


@dataclass(frozen=True)
class Closed:
    pass


class LineCore:
    def __init__(self, max_line: int = 1000) -> None:
        self._lines = LineBuffer(max_line)
        self._closed = False
        self._closed_reported = False
        self.tls_started = 0

    def receive_data(self, data: bytes) -> None:
        if data:
            self._lines.feed(data)
        else:
            self._closed = True

    def next_event(self) -> Line | Closed | NeedData:
        line = self._lines.next_line()
        if line is not None:
            return Line(line.rstrip(b"\r\n"))
        if self._closed and not self._closed_reported:
            self._closed_reported = True
            return Closed()
        return NEED_DATA

    def send(self, event: Line) -> bytes:
        return event.text + b"\r\n"

    def start_tls(self) -> None:
        self.tls_started += 1
        self._lines.take(len(self._lines))


Handler = Callable[[trio.SocketStream], Awaitable[None]]


async def serve_on_loopback(nursery: trio.Nursery, handler: Handler) -> int:
    """Start ``handler`` per connection on a free loopback port; return the port."""
    listeners = await nursery.start(partial(trio.serve_tcp, handler, 0, host="127.0.0.1"))
    port: int = listeners[0].socket.getsockname()[1]
    return port


def keylog_lines(path: Path) -> list[str]:
    return path.read_text(encoding="ascii").splitlines() if path.exists() else []
