"""A real TCP exchange on loopback, recorded as the harness records connections.

A line server in a thread answers each line with ``ok <n>``; the client side
records every send and receive with a ``Recorder`` so the capture of the
exchange can be compared with a real Transcript.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from harness.transcript import Direction, Endpoint, Recorder, Transcript

TIMEOUT = 10.0


class LineServer:
    """Accepts connections; answers every line; closes when the client closes."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(TIMEOUT)
        self.port = self.listener.getsockname()[1]
        self._threads: list[threading.Thread] = []

    def serve(self, connections: int = 1) -> None:
        thread = threading.Thread(target=self._accept, args=(connections,), daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self, connections: int) -> None:
        for _ in range(connections):
            peer, _ = self.listener.accept()
            with peer:
                peer.settimeout(TIMEOUT)
                peer.sendall(b"+ready\r\n")
                pending = b""
                while data := peer.recv(65536):
                    pending += data
                    while b"\n" in pending:
                        line, pending = pending.split(b"\n", 1)
                        peer.sendall(b"ok %d\r\n" % len(line))

    def join(self) -> None:
        for thread in self._threads:
            thread.join(TIMEOUT)
        self.listener.close()


def converse(port: int, lines: list[bytes], connection_id: str = "c1") -> Transcript:
    """Connect, read the greeting, send each line and read its answer, close."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as client:
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        here, there = client.getsockname(), client.getpeername()
        recorder = Recorder(
            connection_id, "test", client=Endpoint(*here[:2]), server=Endpoint(*there[:2])
        )
        recorder.record(Direction.SERVER, _read_line(client))
        for line in lines:
            client.sendall(line)
            recorder.record(Direction.CLIENT, line)
            recorder.record(Direction.SERVER, _read_line(client))
        client.shutdown(socket.SHUT_WR)
        recorder.closed(Direction.CLIENT)
        rest = client.recv(65536)
        assert rest == b"", rest
        recorder.closed(Direction.SERVER)
    return recorder.transcript


def _read_line(client: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        more = client.recv(65536)
        if not more:
            break
        data += more
    return data


@contextmanager
def line_server(connections: int = 1) -> Iterator[LineServer]:
    server = LineServer()
    server.serve(connections)
    try:
        yield server
    finally:
        server.join()
