"""What every blocking client shares: the endpoint, the socket, timing, failures.

A client reports each command it runs to a ``RequestSink``: the protocol, the
command's name ("SMTP DATA end"), the elapsed milliseconds, the octets moved,
and a ``CommandFailed`` carrying the reply code when the command did not
succeed. A refusal is data, returned to the caller as the reply; only a
broken connection (timeout, reset, a reply the core cannot parse) ends a
session, as ``ConnectionLost``, after that request was reported as failed.

The socket is the plain ``socket``/``ssl`` pair, so the same client runs in
the gevent-patched locust process (cooperatively) and in an ordinary one.
"""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from harness.protocols.common import RemoteProtocolError

RECEIVE_SIZE = 256 * 1024


class CommandFailed(Exception):
    """A command that did not succeed; ``code`` is what locust groups errors by.

    The code is the server's answer ("550 5.1.1", "NO [OVERQUOTA]", "-ERR
    [IN-USE]") or, when there was none, what went wrong on the wire
    ("timeout", "refused", "reset", "closed", "tls", "protocol").
    """

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail

    def __str__(self) -> str:
        return self.code


class ConnectionLost(Exception):
    """The session cannot go on; the failed request has already been reported."""


class ConnectionLedger(Protocol):
    """Told of each connection when it closes: for checking a packet capture against it."""

    def __call__(
        self, client_port: int, server_port: int, opened: float, octets_out: int, octets_in: int
    ) -> None: ...


class RequestSink(Protocol):
    def __call__(
        self,
        protocol: str,
        name: str,
        elapsed_ms: float,
        length: int,
        failure: CommandFailed | None,
    ) -> None: ...


def discard_requests(
    protocol: str, name: str, elapsed_ms: float, length: int, failure: CommandFailed | None
) -> None:
    """A sink for clients whose timings nobody wants (the end-of-run sweep)."""


@dataclass(frozen=True)
class Endpoint:
    """Where to connect and how TLS is reached (the target's service entry)."""

    host: str
    port: int
    tls: str = "none"  # none | starttls | implicit
    tls_context: ssl.SSLContext | None = None
    timeout: float = 30.0
    ledger: ConnectionLedger | None = field(default=None, compare=False)  # --capture runs

    def context(self) -> ssl.SSLContext:
        return self.tls_context or client_tls_context(verify=False)


def client_tls_context(verify: bool, ca_file: Path | None = None) -> ssl.SSLContext:
    """A client context; ``verify=False`` is for self-signed test servers."""
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def failure_code(exc: BaseException) -> str:
    """A short, stable name for a transport failure (errors are grouped by it)."""
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return "reset"
    if isinstance(exc, ssl.SSLError):
        return "tls"
    if isinstance(exc, RemoteProtocolError):
        return "protocol"
    if isinstance(exc, EOFError):
        return "closed"
    return type(exc).__name__


TRANSPORT_ERRORS = (OSError, EOFError, RemoteProtocolError)


class Wire:
    """A blocking socket to one endpoint, upgraded to TLS when asked."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._sock: socket.socket | None = None
        self.octets_in = 0  # this connection's, plaintext (what TLS carried, decrypted)
        self.octets_out = 0
        self._opened = 0.0
        self._ports = (0, 0)

    @property
    def connected(self) -> bool:
        return self._sock is not None

    @property
    def tls_active(self) -> bool:
        return isinstance(self._sock, ssl.SSLSocket)

    def open(self) -> None:
        endpoint = self.endpoint
        sock = socket.create_connection((endpoint.host, endpoint.port), timeout=endpoint.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self.octets_in = self.octets_out = 0
        if endpoint.ledger is not None:
            self._opened = time.time()
            self._ports = (sock.getsockname()[1], sock.getpeername()[1])

    def start_tls(self) -> None:
        self._sock = self.endpoint.context().wrap_socket(
            self._live(), server_hostname=self.endpoint.host
        )

    def send(self, data: bytes) -> None:
        sock = self._live()
        # one send() takes a command or a small message whole; gevent's sendall
        # costs an extra getsockopt syscall and a chunking loop on every call
        sent = sock.send(data)
        if sent < len(data):
            sock.sendall(memoryview(data)[sent:])
        self.octets_out += len(data)

    def receive(self) -> bytes:
        data = self._live().recv(RECEIVE_SIZE)
        self.octets_in += len(data)
        return data

    def set_timeout(self, seconds: float | None) -> None:
        self._live().settimeout(seconds)

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is None:
            return
        try:
            sock.close()
        except OSError:
            pass  # closing a dead socket: nothing left to release
        ledger = self.endpoint.ledger
        if ledger is not None:
            ledger(*self._ports, self._opened, self.octets_out, self.octets_in)

    def _live(self) -> socket.socket:
        if self._sock is None:
            raise EOFError("not connected")
        return self._sock


class ClientBase:
    """Timing and failure reporting around a ``Wire``; one subclass per protocol."""

    protocol = ""

    def __init__(self, endpoint: Endpoint, sink: RequestSink = discard_requests) -> None:
        self.endpoint = endpoint
        self.wire = Wire(endpoint)
        self.sink = sink

    @property
    def connected(self) -> bool:
        return self.wire.connected

    def _open(self) -> None:
        """TCP connect (and the TLS handshake on implicit-TLS services), each timed."""
        start = time.perf_counter()
        try:
            self.wire.open()
        except TRANSPORT_ERRORS as exc:
            raise self._lost("connect", start, exc) from exc
        self._report("connect", start, 0, None)
        if self.endpoint.tls == "implicit":
            self._handshake("TLS")

    def _handshake(self, name: str) -> None:
        start = time.perf_counter()
        try:
            self.wire.start_tls()
        except TRANSPORT_ERRORS as exc:
            raise self._lost(name, start, exc) from exc
        self._report(name, start, 0, None)

    def _report(self, name: str, start: float, length: int, failure: CommandFailed | None) -> None:
        elapsed_ms = (time.perf_counter() - start) * 1000.0
        self.sink(self.protocol, f"{self.protocol} {name}", elapsed_ms, length, failure)

    def _lost(self, name: str, start: float, exc: BaseException) -> ConnectionLost:
        """Report ``name`` as failed by the transport, close, and say why."""
        self._report(name, start, 0, CommandFailed(failure_code(exc), str(exc)))
        self.wire.close()
        return ConnectionLost(f"{self.protocol} {name}: {failure_code(exc)}: {exc}")

    def close(self) -> None:
        self.wire.close()
