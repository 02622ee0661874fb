"""TCP listeners for the reference server: accept, cap, wrap TLS, run a handler.

A server starts each listener with structured concurrency and learns its port:

    async with trio.open_nursery() as nursery:
        bound = await nursery.start(partial(
            serve_listener, smtp_session, host="127.0.0.1", port=0,
            tls_mode=TLSMode.STARTTLS, ssl_context=context, max_connections_per_ip=50))
        print(bound.port)

Every connection runs ``handler(stream, client)`` in the listener's own
nursery. A handler that raises is logged with its traceback and the listener
carries on: one bad session must not take the service down, and nothing is
dropped without a trace. Cancelling the listener's scope closes the socket and
cancels every session.
"""

from __future__ import annotations

import logging
import math
import ssl
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import trio

from harness.net.stream import IdleTimeout
from harness.net.tls import describe_tls, start_tls
from harness.targets import TLSMode

log = logging.getLogger(__name__)

LISTEN_BACKLOG = 4096  # load runs open hundreds of connections at once; the kernel caps it
CLOSE_TIMEOUT = 5.0  # a peer that never reads cannot hold a session's close forever


@dataclass(frozen=True)
class ClientInfo:
    """What a handler knows about the connection it serves."""

    peer_host: str
    peer_port: int
    local_port: int
    tls: str | None  # negotiated version and cipher for implicit TLS, else None
    over_limit: bool  # the address has too many connections: refuse politely, then return


ConnectionHandler = Callable[[trio.abc.Stream, ClientInfo], Awaitable[None]]


@dataclass(frozen=True)
class BoundAddress:
    host: str
    port: int


@dataclass(frozen=True)
class _ListenerSettings:
    name: str
    handler: ConnectionHandler
    tls_mode: TLSMode
    ssl_context: ssl.SSLContext | None
    handshake_timeout: float
    refusal_timeout: float


class _ConnectionsPerAddress:
    """Counts open sessions per client address against a cap (None: no cap)."""

    def __init__(self, cap: int | None) -> None:
        self._cap = cap
        self._open: Counter[str] = Counter()

    def try_acquire(self, address: str) -> bool:
        if self._cap is not None and self._open[address] >= self._cap:
            return False
        self._open[address] += 1
        return True

    def release(self, address: str) -> None:
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]


async def serve_listener(
    handler: ConnectionHandler,
    *,
    host: str,
    port: int,
    tls_mode: TLSMode,
    ssl_context: ssl.SSLContext | None = None,
    max_connections_per_ip: int | None = None,
    handshake_timeout: float = 30.0,
    refusal_timeout: float = 10.0,
    name: str = "listener",
    task_status: trio.TaskStatus[BoundAddress] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Listen on ``host``:``port`` (0: a free port) until cancelled.

    ``task_status.started`` reports the ``BoundAddress`` once the socket is
    listening. With ``TLSMode.IMPLICIT`` the TLS handshake is done before the
    handler runs; with ``STARTTLS`` the handler upgrades when its protocol says.
    A client over ``max_connections_per_ip`` still reaches the handler, with
    ``over_limit=True`` and ``refusal_timeout`` seconds to say why and leave.
    """
    if tls_mode is TLSMode.IMPLICIT and ssl_context is None:
        raise ValueError(f"{name}: implicit TLS needs an ssl_context")
    settings = _ListenerSettings(
        name, handler, tls_mode, ssl_context, handshake_timeout, refusal_timeout
    )
    counter = _ConnectionsPerAddress(max_connections_per_ip)
    listener = await _bind(host, port)
    bound = _bound_address(listener)
    log.info("%s listening on %s port %d (%s)", name, bound.host, bound.port, tls_mode.value)

    async def serve_one(stream: trio.SocketStream) -> None:
        peer_host, peer_port = stream.socket.getpeername()[:2]
        admitted = counter.try_acquire(peer_host)
        try:
            client = ClientInfo(peer_host, peer_port, bound.port, None, not admitted)
            await _run_session(settings, stream, client)
        finally:
            if admitted:
                counter.release(peer_host)

    async with listener, trio.open_nursery() as sessions:
        task_status.started(bound)
        await trio.serve_listeners(serve_one, [listener], handler_nursery=sessions)


async def _bind(host: str, port: int) -> trio.SocketListener:
    """One listening socket on the first address ``host`` resolves to.

    Not ``trio.open_tcp_listeners``: for a name with IPv4 and IPv6 addresses
    and port 0 it binds each family on a different free port, and a listener
    must report exactly one.
    """
    infos = await trio.socket.getaddrinfo(host, port, type=trio.socket.SOCK_STREAM)
    family, socktype, proto, _, address = infos[0]
    sock = trio.socket.socket(family, socktype, proto)
    try:
        sock.setsockopt(trio.socket.SOL_SOCKET, trio.socket.SO_REUSEADDR, 1)
        if family == trio.socket.AF_INET6:
            sock.setsockopt(trio.socket.IPPROTO_IPV6, trio.socket.IPV6_V6ONLY, 1)
        await sock.bind(address)
        sock.listen(LISTEN_BACKLOG)
    except BaseException:
        sock.close()
        raise
    return trio.SocketListener(sock)


def _bound_address(listener: trio.SocketListener) -> BoundAddress:
    host, port = listener.socket.getsockname()[:2]
    return BoundAddress(host=host, port=port)


async def _run_session(
    settings: _ListenerSettings, stream: trio.SocketStream, client: ClientInfo
) -> None:
    where = f"{settings.name} {client.peer_host}:{client.peer_port}"
    session_stream: trio.abc.Stream = stream
    try:
        if settings.tls_mode is TLSMode.IMPLICIT:
            session_stream = await _implicit_tls(settings, stream)
            client = ClientInfo(
                client.peer_host,
                client.peer_port,
                client.local_port,
                describe_tls(session_stream),
                client.over_limit,
            )
        limit = settings.refusal_timeout if client.over_limit else math.inf
        with trio.move_on_after(limit):
            await settings.handler(session_stream, client)
    except _HandshakeFailed as exc:
        log.info("%s: TLS handshake failed: %s", where, exc)
    except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
        log.info("%s: connection lost: %s", where, exc.__cause__ or exc)
    except IdleTimeout as exc:  # normal for a session its handler did not answer itself
        log.info("%s: idle timeout: %s", where, exc)
    except Exception:
        log.exception("%s: session handler failed", where)
    finally:
        with trio.move_on_after(CLOSE_TIMEOUT):
            await session_stream.aclose()  # cancelled aclose still closes, forcefully


class _HandshakeFailed(Exception):
    pass


async def _implicit_tls(settings: _ListenerSettings, stream: trio.SocketStream) -> trio.abc.Stream:
    assert settings.ssl_context is not None  # checked when the listener started
    with trio.move_on_after(settings.handshake_timeout):
        try:
            return await start_tls(stream, settings.ssl_context, server_side=True)
        except trio.BrokenResourceError as exc:
            raise _HandshakeFailed(str(exc.__cause__ or exc)) from exc
    raise _HandshakeFailed(f"no handshake within {settings.handshake_timeout} s")
