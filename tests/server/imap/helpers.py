"""Helpers for the IMAP session tests: a running server, seeding, and clients.

``imap_server``: the reference server on free loopback ports with three
accounts and no failure delay. Messages are seeded straight into the store,
as SMTP delivery would put them there.

``RawImap``: a byte-level client over a real socket (plain or TLS) for what a
well-behaved library cannot do or hides: exact responses, pipelining,
garbage, literals, IDLE. ``imaplib`` sessions run in worker threads
(``in_thread``) while the server runs on the test's trio loop.
"""

from __future__ import annotations

import dataclasses
import imaplib
import re
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import trio

from harness.net import client_ssl_context
from harness.net.tls import start_tls
from harness.server.app import RunningServer, running_server
from harness.server.config import AccountConfig, Limits, ServerConfig, default_config

T = TypeVar("T")

ALICE = ("alice@example.test", "alicepw")
BOB = ("bob@example.test", "bobpw")
CAROL = ("carol@example.test", "carolpw")

_LITERAL_RE = re.compile(rb"~?\{([0-9]+)\}$")


def imap_config(tmp_path: Path, **changes: Any) -> ServerConfig:
    """Three accounts, no failure delay; ``changes`` may name Limits fields too."""
    limits: dict[str, Any] = {"auth_failure_delay": 0.0}
    limits.update({k: changes.pop(k) for k in list(changes) if hasattr(Limits(), k)})
    base = default_config()
    accounts = changes.pop("accounts", (ALICE, BOB, CAROL))
    return dataclasses.replace(
        base,
        accounts=tuple(AccountConfig(user, pw) for user, pw in accounts),
        data_dir=tmp_path / "data",
        limits=dataclasses.replace(base.limits, **limits),
        **changes,
    )


@asynccontextmanager
async def imap_server(tmp_path: Path, **changes: Any) -> AsyncIterator[RunningServer]:
    plaintext_secrets = changes.pop("plaintext_secrets", False)
    async with running_server(
        imap_config(tmp_path, **changes), plaintext_secrets=plaintext_secrets
    ) as server:
        yield server


async def seed(
    server: RunningServer, user: str, *messages: bytes, mailbox: str = "INBOX"
) -> list[int]:
    """Deliver messages into one of ``user``'s mailboxes; their UIDs."""
    store = server.context.store
    account = await store.get_user(user)
    assert account is not None
    target = await store.get_mailbox(account.id, mailbox)
    assert target is not None
    return [(await store.append(target.id, message)).uid for message in messages]


def tls_context(server: RunningServer) -> ssl.SSLContext:
    """Trusts the server's generated certificate; hostname checks stay on."""
    return client_ssl_context(ca_file=server.target().ca_file)


async def in_thread(fn: Callable[[], T]) -> T:
    return await trio.to_thread.run_sync(fn)


def imaplib_login(server: RunningServer, user: tuple[str, str] = ALICE) -> imaplib.IMAP4:
    """An imaplib session over STARTTLS, logged in."""
    client = imaplib.IMAP4(server.host, server.port("imap"), timeout=10)
    client.starttls(tls_context(server))
    client.login(*user)
    return client


def message(number: int, *, subject: str | None = None, body: str | None = None) -> bytes:
    subject = subject or f"message {number}"
    body = body or f"body of message {number}"
    return (
        f"From: Bob <bob@example.test>\r\nTo: alice@example.test\r\n"
        f"Subject: {subject}\r\nMessage-ID: <m{number}@example.test>\r\n"
        f"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n{body}\r\n"
    ).encode()


@dataclasses.dataclass
class Response:
    """One response line with its literals spliced in (literal octets kept raw)."""

    raw: bytes

    @property
    def tagged_status(self) -> str:
        return self.raw.split(b" ", 2)[1].decode()

    def startswith(self, prefix: bytes) -> bool:
        return self.raw.startswith(prefix)

    def __contains__(self, needle: bytes) -> bool:
        return needle in self.raw


class RawImap:
    """A byte-level IMAP client: send exact octets, read whole responses."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self._buffer = bytearray()
        self._tags = 0

    @classmethod
    @asynccontextmanager
    async def connect(
        cls, server: RunningServer, service: str = "imap", *, login: tuple[str, str] | None = None
    ) -> AsyncIterator[RawImap]:
        stream: trio.abc.Stream = await trio.open_tcp_stream(server.host, server.port(service))
        if service == "imaps":
            stream = await start_tls(
                stream, tls_context(server), server_side=False, server_hostname="localhost"
            )
        client = cls(stream)
        try:
            greeting = await client.read_response()
            assert greeting.startswith(b"* OK"), greeting
            if login is not None:
                if service == "imap":
                    await client.starttls(server)
                await client.ok(f'LOGIN {login[0]} "{login[1]}"')
            yield client
        finally:
            await trio.aclose_forcefully(client.stream)

    def next_tag(self) -> str:
        self._tags += 1
        return f"t{self._tags}"

    async def send(self, data: bytes) -> None:
        await self.stream.send_all(data)

    async def read_line(self) -> bytes:
        """One line without CRLF (bounded wait)."""
        with trio.fail_after(10):
            while b"\r\n" not in self._buffer:
                chunk = await self.stream.receive_some(65536)
                if not chunk:
                    raise EOFError(f"connection closed; pending {bytes(self._buffer)!r}")
                self._buffer += chunk
        end = self._buffer.index(b"\r\n")
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 2]
        return line

    async def read_octets(self, count: int) -> bytes:
        with trio.fail_after(10):
            while len(self._buffer) < count:
                chunk = await self.stream.receive_some(65536)
                if not chunk:
                    raise EOFError("connection closed inside a literal")
                self._buffer += chunk
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        return data

    async def read_response(self) -> Response:
        """A line, and any literal it announces with the rest of the response,
        as the octets came (CRLF after each announcement, none after the octets)."""
        raw = b""
        for _ in range(10_000):
            line = await self.read_line()
            raw += line
            match = _LITERAL_RE.search(line)
            if match is None:
                return Response(raw)
            raw += b"\r\n" + await self.read_octets(int(match[1]))
        raise AssertionError("response with too many literals")

    async def command(self, text: str | bytes, tag: str | None = None) -> list[Response]:
        """Send ``tag text`` and read through its tagged response (included last)."""
        tag = tag or self.next_tag()
        data = text.encode() if isinstance(text, str) else text
        await self.send(tag.encode() + b" " + data + b"\r\n")
        return await self.until_tagged(tag)

    async def until_tagged(self, tag: str) -> list[Response]:
        responses = []
        for _ in range(100_000):
            response = await self.read_response()
            responses.append(response)
            if response.startswith(tag.encode() + b" "):
                return responses
        raise AssertionError("no tagged response")

    async def ok(self, text: str | bytes) -> list[Response]:
        responses = await self.command(text)
        assert responses[-1].tagged_status == "OK", responses
        return responses

    async def starttls(self, server: RunningServer) -> None:
        await self.ok("STARTTLS")
        assert not self._buffer
        self.stream = await start_tls(
            self.stream, tls_context(server), server_side=False, server_hostname="localhost"
        )

    async def closed(self) -> bytes:
        """Everything the server sends until it closes (bounded)."""
        received = bytes(self._buffer)
        self._buffer.clear()
        with trio.fail_after(10):
            for _ in range(10_000):
                chunk = await self.stream.receive_some(65536)
                if not chunk:
                    return received
                received += chunk
        raise AssertionError("server kept sending")


def untagged(responses: list[Response], word: bytes) -> list[bytes]:
    """The untagged responses whose first word (after "* " or "* n ") is ``word``."""
    found = []
    for response in responses[:-1]:
        parts = response.raw.split(b" ")
        if (len(parts) > 1 and parts[1] == word) or (len(parts) > 2 and parts[2] == word):
            found.append(response.raw)
    return found
