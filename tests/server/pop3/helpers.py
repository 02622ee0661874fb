"""Helpers for the POP3 server tests: a running server, seeding, and two clients.

``pop3_server``: the reference server on free loopback ports (only its POP3
listeners matter here) with a few accounts and no failure delay. Messages are
seeded straight into the store, as SMTP would deliver them.

``RawPop3``: our own sans-IO client core over a real socket, for what a
well-behaved library cannot do: byte-exact bodies, pipelining, garbage, SASL.
``poplib_tls``: a client SSL context trusting the server's generated certificate.
"""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import trio

from harness.net import ProtocolStream, client_ssl_context, open_connection
from harness.protocols.common import Role
from harness.protocols.pop3 import (
    ClientEvent,
    Command,
    Err,
    MessageData,
    MultilineEnd,
    MultilinePart,
    Ok,
    POP3Connection,
    Stls,
)
from harness.protocols.pop3.state import multiline_body
from harness.server.app import RunningServer, running_server
from harness.server.config import AccountConfig, Limits, ServerConfig, default_config
from harness.targets import TLSMode

ALICE = ("alice@example.test", "alicepw")
BOB = ("bob@example.test", "bobpw")
CAROL = ("carol@example.test", "carolpw")


def pop3_config(tmp_path: Path, **changes: Any) -> ServerConfig:
    """POP3 listeners only, three accounts, no failure delay, the rest the defaults.

    Only POP3 is enabled so these tests load no other protocol's session.
    """
    limits = {"auth_failure_delay": 0.0}
    limits.update({k: changes.pop(k) for k in list(changes) if hasattr(Limits(), k)})
    base = default_config()
    return dataclasses.replace(
        base,
        accounts=tuple(AccountConfig(user, pw) for user, pw in (ALICE, BOB, CAROL)),
        data_dir=tmp_path / "data",
        listeners={
            name: dataclasses.replace(listener, enabled=listener.protocol == "pop3")
            for name, listener in base.listeners.items()
        },
        limits=dataclasses.replace(base.limits, **limits),
        **changes,
    )


@asynccontextmanager
async def pop3_server(tmp_path: Path, **changes: Any) -> AsyncIterator[RunningServer]:
    plaintext_secrets = changes.pop("plaintext_secrets", False)
    config = pop3_config(tmp_path, **changes)
    async with running_server(config, plaintext_secrets=plaintext_secrets) as server:
        yield server


async def seed(server: RunningServer, user: str, *messages: bytes) -> list[int]:
    """Put messages into ``user``'s INBOX; their UIDs."""
    store = server.context.store
    inbox = await store.inbox(user)
    return [(await store.append(inbox.id, message)).uid for message in messages]


async def inbox_uids(server: RunningServer, user: str) -> list[int]:
    store = server.context.store
    inbox = await store.inbox(user)
    return [info.uid for info in await store.list_messages(inbox.id)]


def tls_context(server: RunningServer) -> ssl.SSLContext:
    """Trusts the server's generated certificate; hostname checks stay on."""
    target = server.target()
    return client_ssl_context(ca_file=target.ca_file)


@dataclasses.dataclass
class Reply:
    status: Ok | Err
    parts: list[MultilinePart]

    @property
    def ok(self) -> bool:
        return isinstance(self.status, Ok)

    @property
    def body(self) -> bytes:
        return b"".join(p.data for p in self.parts if isinstance(p, MessageData))


class RawPop3:
    """A client session driven by the sans-IO core, over a real socket."""

    def __init__(self, session: ProtocolStream, conn: POP3Connection) -> None:
        self.session = session
        self.conn = conn
        self.greeting: Ok | Err | None = None

    @classmethod
    @asynccontextmanager
    async def connect(cls, server: RunningServer, service: str = "pop3") -> AsyncIterator[RawPop3]:
        implicit = service == "pop3s"
        stream = await open_connection(
            server.host,
            server.port(service),
            TLSMode.IMPLICIT if implicit else TLSMode.NONE,
            tls_context(server) if implicit else None,
            server_hostname="localhost",
        )
        conn = POP3Connection(Role.CLIENT, tls=implicit, enforce_states=False)
        async with ProtocolStream(conn, stream, idle_timeout=10) as session:
            client = cls(session, conn)
            greeting = await session.next_event()
            assert isinstance(greeting, Ok | Err)
            client.greeting = greeting
            yield client

    async def send(self, *events: ClientEvent) -> None:
        await self.session.send_raw(b"".join(self.conn.send(e) for e in events))

    async def send_in_place_of(self, command: Command, raw: bytes) -> None:
        """Send ``raw`` where ``command`` would go: its reply is read as ``command``'s."""
        self.conn.send(command)  # only to put it in flight; its bytes are not sent
        await self.session.send_raw(raw)

    async def reply(self, command: Command | None = None) -> Reply:
        """The next reply, with its listing or body when ``command`` is multi-line."""
        status = await self.session.next_event()
        assert isinstance(status, Ok | Err), status
        parts: list[MultilinePart] = []
        if isinstance(status, Ok) and command is not None and multiline_body(command):
            for _ in range(1_000_000):
                part = await self.session.next_event()
                assert isinstance(part, MultilinePart), part
                if isinstance(part, MultilineEnd):
                    break
                parts.append(part)
        return Reply(status, parts)

    async def command(self, command: Command) -> Reply:
        await self.send(command)
        return await self.reply(command)

    async def stls(self, server: RunningServer) -> None:
        assert (await self.command(Stls())).ok
        await self.session.start_tls(
            tls_context(server), server_side=False, server_hostname="localhost"
        )

    async def receive_closed(self) -> bytes:
        """Everything left until the server closes (bounded)."""
        received = b""
        with trio.fail_after(10):
            for _ in range(10_000):
                chunk = await self.session.stream.receive_some(65536)
                if not chunk:
                    return received
                received += chunk
        raise AssertionError("server kept sending")
