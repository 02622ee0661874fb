"""Helpers for the SMTP server tests: a running server, the store, a raw client.

``smtp_server``: the reference server on free loopback ports with only its
SMTP listeners (smtp, submission, smtps), three accounts and no failure
delay. ``RawSMTP`` writes exact bytes over a real socket and reads replies
with the core's own decoder, for what a well-behaved client library cannot
do (pipelining in one write, bare newlines, injection, garbage, BDAT).
Blocking clients (smtplib, curl, swaks) run in threads or processes so the
server keeps serving.
"""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import trio

from harness.net import client_ssl_context, open_connection
from harness.net.tls import start_tls
from harness.protocols.smtp import Reply, ReplyDecoder
from harness.server.app import RunningServer, running_server
from harness.server.config import AccountConfig, Limits, Route, ServerConfig, default_config
from harness.server.delivery import split_trace
from harness.targets import TLSMode

ALICE = ("alice@example.test", "alicepw")
BOB = ("bob@example.test", "bobpw")
CAROL = ("carol@example.test", "carolpw")
RELAY_DOMAIN = "relay.test"
T = TypeVar("T")


def smtp_config(tmp_path: Path, **changes: Any) -> ServerConfig:
    """SMTP listeners only, three accounts, a relay route, no failure delay."""
    limit_changes = {k: changes.pop(k) for k in list(changes) if hasattr(Limits(), k)}
    accounts = changes.pop("accounts", tuple(AccountConfig(u, p) for u, p in (ALICE, BOB, CAROL)))
    base = default_config()
    return dataclasses.replace(
        base,
        accounts=accounts,
        data_dir=tmp_path / "data",
        limits=dataclasses.replace(base.limits, **{"auth_failure_delay": 0.0, **limit_changes}),
        listeners={
            name: dataclasses.replace(listener, enabled=listener.protocol == "smtp")
            for name, listener in base.listeners.items()
        },
        routes={RELAY_DOMAIN: Route(RELAY_DOMAIN, "127.0.0.1", 9)},
        **changes,
    )


@asynccontextmanager
async def smtp_server(tmp_path: Path, **changes: Any) -> AsyncIterator[RunningServer]:
    plaintext_secrets = changes.pop("plaintext_secrets", False)
    config = smtp_config(tmp_path, **changes)
    async with running_server(config, plaintext_secrets=plaintext_secrets) as server:
        yield server


def tls_context(server: RunningServer) -> ssl.SSLContext:
    """Trusts the server's generated certificate (for "localhost")."""
    return client_ssl_context(ca_file=server.target().ca_file)


async def mailbox_contents(server: RunningServer, user: str, mailbox: str = "INBOX") -> list[bytes]:
    """Every message in a user's mailbox, as stored, in UID order."""
    store = server.context.store
    account = await store.get_user(user)
    assert account is not None
    box = await store.get_mailbox(account.id, mailbox)
    if box is None:
        return []
    return [await store.fetch(box.id, info.uid) for info in await store.list_messages(box.id)]


async def originals(server: RunningServer, user: str, mailbox: str = "INBOX") -> list[bytes]:
    """The stored messages without the trace fields the server prepended."""
    return [split_trace(data)[1] for data in await mailbox_contents(server, user, mailbox)]


async def in_thread(fn: Callable[[], T]) -> T:
    """Run a blocking client without blocking the server (bounded in time)."""
    with trio.fail_after(30):
        return await trio.to_thread.run_sync(fn)


class RawSMTP:
    """Exact bytes out, replies in (parsed by the core's ReplyDecoder)."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.decoder = ReplyDecoder()
        self.greeting: Reply | None = None

    @classmethod
    @asynccontextmanager
    async def connect(
        cls, server: RunningServer, service: str = "smtp", *, greet: bool = True
    ) -> AsyncIterator[RawSMTP]:
        implicit = service == "smtps"
        stream = await open_connection(
            server.host,
            server.port(service),
            TLSMode.IMPLICIT if implicit else TLSMode.NONE,
            tls_context(server) if implicit else None,
            server_hostname="localhost",
        )
        client = cls(stream)
        try:
            if greet:
                client.greeting = await client.reply()
            yield client
        finally:
            await trio.aclose_forcefully(client.stream)

    async def send(self, data: bytes) -> None:
        await self.stream.send_all(data)

    async def reply(self) -> Reply:
        with trio.fail_after(10):
            for _ in range(10_000):
                found = self.decoder.next_reply()
                if found is not None:
                    return found
                data = await self.stream.receive_some(65536)
                if not data:
                    raise EOFError("server closed the connection")
                self.decoder.feed(data)
        raise AssertionError("no reply")

    async def replies(self, count: int) -> list[Reply]:
        return [await self.reply() for _ in range(count)]

    async def command(self, line: bytes) -> Reply:
        await self.send(line)
        return await self.reply()

    async def replies_to(self, *lines: bytes) -> list[Reply]:
        """Each line sent after the reply to the one before (no pipelining)."""
        return [await self.command(line) for line in lines]

    async def codes(self, data: bytes, count: int) -> list[int]:
        """Send ``data`` in one write; the codes of the next ``count`` replies."""
        await self.send(data)
        return [r.code for r in await self.replies(count)]

    async def ehlo(self, name: str = "client.example") -> Reply:
        reply = await self.command(f"EHLO {name}\r\n".encode())
        assert reply.code == 250, reply
        return reply

    async def starttls(self, server: RunningServer) -> None:
        assert (await self.command(b"STARTTLS\r\n")).code == 220
        await self.starttls_handshake(server)

    async def starttls_handshake(self, server: RunningServer) -> None:
        """The TLS handshake after the 220 (replies buffered before it are dropped)."""
        self.decoder = ReplyDecoder()
        self.stream = await start_tls(
            self.stream, tls_context(server), server_side=False, server_hostname="localhost"
        )

    async def login(self, user: str, password: str) -> Reply:
        import base64

        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        return await self.command(f"AUTH PLAIN {token}\r\n".encode())

    async def closed(self) -> bytes:
        """Everything until the server closes (bounded)."""
        received = bytearray(self.decoder.lines.buffer)
        with trio.fail_after(10):
            for _ in range(10_000):
                try:
                    data = await self.stream.receive_some(65536)
                except trio.BrokenResourceError:
                    return bytes(received)
                if not data:
                    return bytes(received)
                received += data
        raise AssertionError("server kept sending")


def extensions(reply: Reply) -> dict[str, tuple[str, ...]]:
    from harness.protocols.smtp import parse_ehlo_reply

    return dict(parse_ehlo_reply(reply).extensions)
