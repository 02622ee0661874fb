"""The adapter driving a real protocol core against a real stdlib client:
POP3 STLS with poplib, over loopback, with a verified certificate."""

from __future__ import annotations

import poplib
import ssl

import pytest
import trio

from harness.net import Direction, ProtocolStream
from harness.protocols.common import Role
from harness.protocols.pop3 import Capa, Capability, MultilineEnd, Ok, POP3Connection, Quit, Stls
from tests.net.helpers import serve_on_loopback

pytestmark = pytest.mark.timeout(20)


async def pop3_stls_session(
    stream: trio.SocketStream,
    context: ssl.SSLContext,
    commands: list[object],
    received: list[bytes],
) -> None:
    def record(direction: Direction, data: bytes, timestamp: float) -> None:
        if direction is Direction.RECEIVED:
            received.append(data)

    conn = POP3Connection(Role.SERVER)
    async with ProtocolStream(conn, stream, idle_timeout=5, transcript=record) as session:
        await session.send(Ok("ready"))
        async for event in session:
            commands.append(event)
            if isinstance(event, Capa):  # poplib asks before it sends STLS
                for part in (Ok("capabilities"), Capability("STLS"), MultilineEnd()):
                    await session.send(part)
            elif isinstance(event, Stls):
                await session.send(Ok("begin TLS"))
                await session.start_tls(context, server_side=True)
            elif isinstance(event, Quit):
                await session.send(Ok("bye"))
                return


def poplib_client(port: int, context: ssl.SSLContext) -> str:
    client = poplib.POP3("127.0.0.1", port, timeout=5)
    client.stls(context)
    assert isinstance(client.sock, ssl.SSLSocket)
    cipher = client.sock.cipher()
    assert cipher is not None
    client.quit()
    return str(cipher[1])


async def test_poplib_upgrades_with_stls_through_the_pop3_core(
    server_context: ssl.SSLContext, trusting_client_context: ssl.SSLContext
) -> None:
    commands: list[object] = []
    received: list[bytes] = []
    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            port = await serve_on_loopback(
                nursery, lambda s: pop3_stls_session(s, server_context, commands, received)
            )
            version = await trio.to_thread.run_sync(poplib_client, port, trusting_client_context)
            nursery.cancel_scope.cancel()
    assert version.startswith("TLSv1.")
    assert [type(c) for c in commands] == [Capa, Stls, Quit]
    assert received == [b"CAPA\r\n", b"STLS\r\n", b"QUIT\r\n"]  # QUIT arrived encrypted
