"""Drive a sans-IO protocol core over a trio stream.

The cores in ``harness.protocols`` never touch a socket: bytes in, events out;
events in, bytes out. ``ProtocolStream`` is the one place that moves those bytes
for the server, the conformance runner and the clients:

    async with ProtocolStream(conn, stream, idle_timeout=300) as session:
        async for event in session:          # ends when the peer closes
            ...
            await session.send(Reply(...))   # conn.send(event) -> bytes -> wire

``start_tls`` upgrades mid-stream (after STARTTLS / STLS): the TLS stream
replaces the plain one, then the core is told. Every chunk that crosses the
wire, each way, can be reported to a ``TranscriptHook``.
"""

from __future__ import annotations

import enum
import math
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Protocol

import trio

from harness.net.tls import describe_tls, is_ragged_eof, start_tls
from harness.protocols.common import NEED_DATA
from harness.targets import TLSMode

DEFAULT_RECEIVE_SIZE = 64 * 1024


class Direction(enum.StrEnum):
    SENT = "sent"
    RECEIVED = "received"


class TranscriptHook(Protocol):
    """Called for every chunk sent or received (plaintext, after TLS decryption).

    ``timestamp`` is wall-clock seconds since the epoch, so transcripts line up
    with packet captures taken at the same time.
    """

    def __call__(self, direction: Direction, data: bytes, timestamp: float) -> None: ...


class SansIOConnection(Protocol):
    """The shape every core in ``harness.protocols`` shares (DESIGN.md §2)."""

    def receive_data(self, data: bytes) -> None: ...

    def next_event(self) -> object: ...

    def send(self, event: Any) -> bytes: ...

    def start_tls(self) -> None: ...


class PeerClosed(Exception):
    """The peer closed the connection and the core has no further events."""


class IdleTimeout(trio.TooSlowError):
    """Nothing complete arrived (or the TLS handshake did not finish) in time."""


class ProtocolStream:
    """One connection: a sans-IO core and the trio stream it speaks over."""

    def __init__(
        self,
        conn: SansIOConnection,
        stream: trio.abc.Stream,
        *,
        idle_timeout: float | None = None,
        receive_size: int = DEFAULT_RECEIVE_SIZE,
        transcript: TranscriptHook | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if receive_size < 1:
            raise ValueError("receive_size must be at least 1")
        self.conn = conn
        self.idle_timeout = idle_timeout
        self.ragged_eof = False  # the TLS peer closed without close_notify
        self._stream = stream
        self._receive_size = receive_size
        self._transcript = transcript
        self._clock = clock
        self._eof_fed = False

    @property
    def stream(self) -> trio.abc.Stream:
        """The stream now in use: the TLS stream once ``start_tls`` has run."""
        return self._stream

    @property
    def tls(self) -> str | None:
        """Negotiated version and cipher, or None while the connection is plaintext."""
        return describe_tls(self._stream)

    async def next_event(self) -> object:
        """The core's next event, reading as needed.

        Raises ``PeerClosed`` once the peer has closed and the core has nothing
        left, ``IdleTimeout`` if no complete event arrives within ``idle_timeout``
        (a peer dripping one byte at a time does not keep a session alive), and
        the core's ``RemoteProtocolError`` when the peer breaks the grammar.
        """
        if self.idle_timeout is None:  # the caller bounds the time (no scope per read)
            return await self._next_event_unbounded()
        with self._idle_bound("no complete command or reply"):
            return await self._next_event_unbounded()
        raise AssertionError("unreachable: _idle_bound raises when it cancels")

    async def _next_event_unbounded(self) -> object:
        # Bounded: each pass consumes at least one byte or records EOF, the
        # core's own limits cap the bytes one event may take, and the idle
        # timeout caps the time.
        while True:
            event = self.conn.next_event()
            if event is not NEED_DATA:
                return event
            if self._eof_fed:
                raise PeerClosed("the peer closed the connection")
            data = await self._receive()
            self.conn.receive_data(data)
            self._eof_fed = not data

    async def _receive(self) -> bytes:
        try:
            data = bytes(await self._stream.receive_some(self._receive_size))
        except trio.BrokenResourceError as exc:
            if not is_ragged_eof(exc):
                raise
            self.ragged_eof = True
            data = b""
        if data:
            self._record(Direction.RECEIVED, data)
        return data

    def __aiter__(self) -> ProtocolStream:
        return self

    async def __anext__(self) -> object:
        try:
            return await self.next_event()
        except PeerClosed:
            raise StopAsyncIteration from None

    async def send(self, event: object) -> None:
        """Serialise ``event`` with the core and write the bytes."""
        await self.send_raw(self.conn.send(event))

    async def send_raw(self, data: bytes) -> None:
        """Write bytes the core did not produce: an error's ``reply``, a script's raw line."""
        if data:
            self._record(Direction.SENT, data)
            await self._stream.send_all(data)

    async def start_tls(
        self,
        context: ssl.SSLContext,
        *,
        server_side: bool,
        server_hostname: str | None = None,
    ) -> None:
        """Upgrade to TLS after STARTTLS / STLS was accepted.

        The core is told once the handshake is done, as every core's contract
        says; it then drops any plaintext the peer pipelined behind the command
        (the STARTTLS command-injection attack, CVE-2011-0411). Nothing reaches
        the core in between: the handshake reads the socket directly.
        """
        with self._idle_bound("the TLS handshake did not complete"):
            self._stream = await start_tls(
                self._stream, context, server_side=server_side, server_hostname=server_hostname
            )
        self.conn.start_tls()

    @contextmanager
    def _idle_bound(self, what: str) -> Iterator[None]:
        limit = math.inf if self.idle_timeout is None else self.idle_timeout
        with trio.move_on_after(limit) as scope:
            yield
        if scope.cancelled_caught:
            raise IdleTimeout(f"{what} within {self.idle_timeout} s")

    def _record(self, direction: Direction, data: bytes) -> None:
        if self._transcript is not None:
            self._transcript(direction, data, self._clock())

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def __aenter__(self) -> ProtocolStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


async def open_connection(
    host: str,
    port: int,
    tls_mode: TLSMode,
    ssl_context: ssl.SSLContext | None = None,
    *,
    server_hostname: str | None = None,
) -> trio.abc.Stream:
    """Connect as a client. For ``IMPLICIT`` the TLS handshake is done on return;
    for ``STARTTLS`` the stream is plain and the protocol upgrades it later
    (``ProtocolStream.start_tls``); ``NONE`` stays plain.

    The caller bounds the time with a cancel scope.
    """
    if tls_mode is TLSMode.IMPLICIT and ssl_context is None:
        raise ValueError("implicit TLS needs an ssl_context")
    stream = await trio.open_tcp_stream(host, port)
    if tls_mode is not TLSMode.IMPLICIT or ssl_context is None:
        return stream
    try:
        return await start_tls(
            stream, ssl_context, server_side=False, server_hostname=server_hostname or host
        )
    except BaseException:
        await trio.aclose_forcefully(stream)
        raise
