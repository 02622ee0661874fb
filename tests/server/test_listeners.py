"""serve_listener over real loopback sockets: bound port reporting, concurrency,
the per-address cap, implicit TLS, and surviving failing sessions."""

from __future__ import annotations

import logging
import ssl
from functools import partial
from pathlib import Path

import pytest
import trio
import trio.testing

from harness.net import (
    ProtocolStream,
    client_ssl_context,
    ensure_self_signed,
    open_connection,
    server_ssl_context,
)
from harness.server.listeners import BoundAddress, ClientInfo, ConnectionHandler, serve_listener
from harness.targets import TLSMode
from tests.net.helpers import LineCore

pytestmark = pytest.mark.timeout(20)


async def start(
    nursery: trio.Nursery,
    handler: ConnectionHandler,
    *,
    host: str = "127.0.0.1",
    tls_mode: TLSMode = TLSMode.NONE,
    ssl_context: ssl.SSLContext | None = None,
    cap: int | None = None,
    refusal_timeout: float = 10.0,
) -> BoundAddress:
    bound: BoundAddress = await nursery.start(
        partial(
            serve_listener,
            handler,
            host=host,
            port=0,
            tls_mode=tls_mode,
            ssl_context=ssl_context,
            max_connections_per_ip=cap,
            refusal_timeout=refusal_timeout,
        )
    )
    return bound


async def receive_until_closed(stream: trio.abc.Stream) -> bytes:
    received = b""
    for _ in range(1000):
        chunk = await stream.receive_some(1024)
        if not chunk:
            return received
        received += chunk
    raise AssertionError("peer kept sending")


async def greet_then_wait_for_close(stream: trio.abc.Stream, client: ClientInfo) -> None:
    await stream.send_all(b"busy\r\n" if client.over_limit else b"welcome\r\n")
    if not client.over_limit:
        await receive_until_closed(stream)


async def test_reports_a_free_port_and_serves_clients_concurrently() -> None:
    clients = 5
    arrived, all_here = 0, trio.Event()

    async def handler(stream: trio.abc.Stream, client: ClientInfo) -> None:
        nonlocal arrived
        arrived += 1
        if arrived == clients:
            all_here.set()
        await all_here.wait()  # a serial server would never get past this
        await stream.send_all(f"go {client.peer_host}\r\n".encode())

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            bound = await start(nursery, handler)
            assert bound.host == "127.0.0.1" and bound.port > 0
            streams = [
                await open_connection("127.0.0.1", bound.port, TLSMode.NONE) for _ in range(clients)
            ]
            for stream in streams:
                assert await receive_until_closed(stream) == b"go 127.0.0.1\r\n"
            nursery.cancel_scope.cancel()


async def test_per_address_cap_hands_the_extra_client_a_refusal() -> None:
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            bound = await start(nursery, greet_then_wait_for_close, cap=2)
            first, second, third = [
                await open_connection("127.0.0.1", bound.port, TLSMode.NONE) for _ in range(3)
            ]
            assert await first.receive_some(100) == b"welcome\r\n"
            assert await second.receive_some(100) == b"welcome\r\n"
            assert await receive_until_closed(third) == b"busy\r\n"
            await first.aclose()
            await trio.testing.wait_all_tasks_blocked(cushion=0.05)  # the server saw the close
            fourth = await open_connection("127.0.0.1", bound.port, TLSMode.NONE)
            assert await fourth.receive_some(100) == b"welcome\r\n"
            nursery.cancel_scope.cancel()


async def test_a_refusal_that_hangs_is_cut_short() -> None:
    async def stubborn(stream: trio.abc.Stream, client: ClientInfo) -> None:
        await stream.send_all(b"busy\r\n" if client.over_limit else b"welcome\r\n")
        await trio.sleep_forever()

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            bound = await start(nursery, stubborn, cap=1, refusal_timeout=0.05)
            kept = await open_connection("127.0.0.1", bound.port, TLSMode.NONE)
            assert await kept.receive_some(100) == b"welcome\r\n"
            refused = await open_connection("127.0.0.1", bound.port, TLSMode.NONE)
            assert await receive_until_closed(refused) == b"busy\r\n"
            nursery.cancel_scope.cancel()


async def test_a_failing_handler_is_logged_and_the_listener_carries_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sessions = 0

    async def flaky(stream: trio.abc.Stream, client: ClientInfo) -> None:
        nonlocal sessions
        sessions += 1
        if sessions == 1:
            raise ValueError("boom in session one")
        await stream.send_all(b"fine\r\n")

    caplog.set_level(logging.INFO, logger="harness.server.listeners")
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            bound = await start(nursery, flaky)
            broken = await open_connection("127.0.0.1", bound.port, TLSMode.NONE)
            assert await receive_until_closed(broken) == b""  # closed, not left hanging
            healthy = await open_connection("127.0.0.1", bound.port, TLSMode.NONE)
            assert await receive_until_closed(healthy) == b"fine\r\n"
            nursery.cancel_scope.cancel()
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 1
    assert "session handler failed" in failures[0].getMessage()
    assert failures[0].exc_info is not None
    assert "boom in session one" in str(failures[0].exc_info[1])


async def test_implicit_tls_listener_hands_over_a_tls_stream(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    certs = ensure_self_signed(tmp_path)
    context = server_ssl_context(certs.cert, certs.key)

    async def report_tls(stream: trio.abc.Stream, client: ClientInfo) -> None:
        await stream.send_all(f"{client.tls}\r\n".encode())

    caplog.set_level(logging.INFO, logger="harness.server.listeners")
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            bound = await start(nursery, report_tls, tls_mode=TLSMode.IMPLICIT, ssl_context=context)
            # A client speaking plaintext to the TLS port fails its handshake ...
            plain = await open_connection("127.0.0.1", bound.port, TLSMode.NONE)
            await plain.send_all(b"EHLO not-tls\r\n")
            assert await receive_until_closed(plain) == b""
            # ... and the next, proper client is served.
            client_context = client_ssl_context(ca_file=certs.cert)
            tls = await open_connection("127.0.0.1", bound.port, TLSMode.IMPLICIT, client_context)
            assert (await receive_until_closed(tls)).startswith(b"TLSv1.")
            nursery.cancel_scope.cancel()
    assert any("TLS handshake failed" in r.getMessage() for r in caplog.records)


async def test_ipv6_loopback_listener() -> None:
    async def hello(stream: trio.abc.Stream, client: ClientInfo) -> None:
        await stream.send_all(client.peer_host.encode())

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            try:
                bound = await start(nursery, hello, host="::1")
            except OSError as exc:
                pytest.skip(f"no IPv6 loopback here: {exc}")
            assert bound.host == "::1"
            stream = await open_connection("::1", bound.port, TLSMode.NONE)
            assert await receive_until_closed(stream) == b"::1"
            nursery.cancel_scope.cancel()


async def test_cancelling_the_listener_closes_its_port() -> None:
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            bound = await start(nursery, greet_then_wait_for_close)
            nursery.cancel_scope.cancel()
        with pytest.raises(OSError):
            await open_connection("127.0.0.1", bound.port, TLSMode.NONE)


async def test_implicit_tls_without_a_context_fails_at_start() -> None:
    with pytest.raises(ValueError, match="ssl_context"):
        await serve_listener(
            greet_then_wait_for_close, host="127.0.0.1", port=0, tls_mode=TLSMode.IMPLICIT
        )


async def test_an_idle_timeout_escaping_a_handler_is_logged_as_routine(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def idle_session(stream: trio.abc.Stream, client: ClientInfo) -> None:
        session = ProtocolStream(LineCore(), stream, idle_timeout=0.05)
        await session.next_event()

    caplog.set_level(logging.INFO, logger="harness.server.listeners")
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            bound = await start(nursery, idle_session)
            quiet = await open_connection("127.0.0.1", bound.port, TLSMode.NONE)
            assert await receive_until_closed(quiet) == b""  # closed by the server
            nursery.cancel_scope.cancel()
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert any(level == logging.INFO and "idle timeout" in text for level, text in messages)
    assert not any(level >= logging.ERROR for level, _ in messages)
