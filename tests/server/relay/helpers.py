"""Helpers for the relay tests: reference servers for a.test and b.test,
submission with smtplib, fetching with poplib, and bounded waits.

Each server gets its own data directory, SMTP and POP3 listeners on free
loopback ports, and relay timings in milliseconds instead of minutes.
Routes need the other server's port, so the server a route points at is
started first (or the route points at a closed port, for "next hop down").
Waits poll the store under ``trio.fail_after``: delivery by the relay is
asynchronous, and these bound how long it may take.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import imaplib
import poplib
import smtplib
import ssl
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Any, TypeVar

import trio

from harness.net import ensure_self_signed, server_ssl_context
from harness.server.app import RunningServer, running_server
from harness.server.config import (
    AccountConfig,
    RelaySettings,
    Route,
    RouteTLS,
    ServerConfig,
    default_config,
)
from harness.server.store import QueuedMessage

ALICE = ("alice@a.test", "alicepw")
ALICE2 = ("carol@a.test", "carolpw")
BOB = ("bob@b.test", "bobpw")
DAVE = ("dave@b.test", "davepw")
WAIT = 15.0  # seconds any relay outcome may take in these tests
T = TypeVar("T")

FAST_RELAY = RelaySettings(
    retry_interval=0.05,
    retry_backoff=1.0,
    max_retry_interval=0.05,
    give_up_after=60.0,
    connect_timeout=5.0,
    command_timeout=5.0,
    data_timeout=5.0,
    attempt_timeout=10.0,
    queue_poll_interval=0.02,
)


def domain_config(
    data_dir: Path,
    domain: str,
    accounts: Sequence[tuple[str, str]],
    routes: dict[str, tuple[int, RouteTLS]] | None = None,
    smtp_port: int = 0,
    **relay: Any,
) -> ServerConfig:
    """A server for ``domain``: SMTP, submission, POP3 and IMAP listeners, fast relay timings.

    ``routes``: domain -> (port on 127.0.0.1, TLS policy).
    """
    base = default_config(name=domain)
    served = {"smtp", "submission", "pop3", "imap"}
    return dataclasses.replace(
        base,
        hostname=f"mail.{domain}",
        domains=(domain,),
        data_dir=data_dir,
        accounts=tuple(AccountConfig(user, password) for user, password in accounts),
        limits=dataclasses.replace(base.limits, auth_failure_delay=0.0),
        listeners={
            name: dataclasses.replace(
                listener,
                enabled=name in served,
                port=smtp_port if name == "smtp" else listener.port,
            )
            for name, listener in base.listeners.items()
        },
        routes={
            name: Route(name, "127.0.0.1", port, tls)
            for name, (port, tls) in (routes or {}).items()
        },
        relay=dataclasses.replace(FAST_RELAY, **relay),
    )


@asynccontextmanager
async def domain_server(
    tmp_path: Path,
    domain: str,
    accounts: Sequence[tuple[str, str]],
    routes: dict[str, tuple[int, RouteTLS]] | None = None,
    smtp_port: int = 0,
    **relay: Any,
) -> AsyncIterator[RunningServer]:
    config = domain_config(tmp_path / domain, domain, accounts, routes, smtp_port, **relay)
    async with running_server(config) as server:
        yield server


def route_to(server: RunningServer, tls: RouteTLS = RouteTLS.OPPORTUNISTIC) -> tuple[int, RouteTLS]:
    return server.port("smtp"), tls


async def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed): connection refused."""
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port: int = listeners[0].socket.getsockname()[1]
    for listener in listeners:
        await listener.aclose()
    return port


async def in_thread(fn: Callable[[], T]) -> T:
    """A blocking client, run without blocking the servers (bounded in time)."""
    with trio.fail_after(WAIT):
        return await trio.to_thread.run_sync(fn)


def _unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def submit(
    server: RunningServer,
    account: tuple[str, str],
    recipients: Sequence[str],
    message: bytes,
    *,
    sender: str | None = None,
    mail_options: Sequence[str] = (),
    rcpt_options: Sequence[str] = (),
) -> dict[str, tuple[int, bytes]]:
    """Submission (RFC 6409) with STARTTLS and AUTH, as a mail client does it."""

    def send() -> dict[str, tuple[int, bytes]]:
        with smtplib.SMTP(server.host, server.port("submission"), timeout=10) as client:
            client.starttls(context=_unverified())
            client.login(*account)
            return client.sendmail(
                account[0] if sender is None else sender,
                list(recipients),
                message,
                list(mail_options),
                list(rcpt_options),
            )

    return await in_thread(send)


async def pop3_messages(server: RunningServer, account: tuple[str, str]) -> list[bytes]:
    """Every message in the maildrop, by POP3 RETR (CRLF line ends restored)."""

    def fetch() -> list[bytes]:
        client = poplib.POP3(server.host, server.port("pop3"), timeout=10)
        try:
            client.stls(context=_unverified())
            client.user(account[0])
            client.pass_(account[1])
            count = len(client.list()[1])
            return [b"\r\n".join(client.retr(n + 1)[1]) + b"\r\n" for n in range(count)]
        finally:
            client.quit()

    return await in_thread(fetch)


async def imap_messages(server: RunningServer, account: tuple[str, str]) -> list[bytes]:
    """Every INBOX message by IMAP FETCH BODY[] (imaplib, STARTTLS)."""

    def fetch() -> list[bytes]:
        with imaplib.IMAP4(server.host, server.port("imap"), timeout=10) as client:
            client.starttls(ssl_context=_unverified())
            client.login(*account)
            client.select("INBOX", readonly=True)
            _, numbers = client.search(None, "ALL")
            found = []
            for number in numbers[0].split():
                _, data = client.fetch(number, "(BODY.PEEK[])")
                found.append(data[0][1])
            return found

    return await in_thread(fetch)


async def inbox(server: RunningServer, user: str) -> list[bytes]:
    """The user's INBOX as stored, in UID order."""
    store = server.context.store
    account = await store.get_user(user)
    assert account is not None
    box = await store.get_mailbox(account.id, "INBOX")
    assert box is not None
    return [await store.fetch(box.id, info.uid) for info in await store.list_messages(box.id)]


async def wait_for_inbox(server: RunningServer, user: str, count: int) -> list[bytes]:
    """Poll until the INBOX holds ``count`` messages (fails after WAIT seconds)."""
    with trio.fail_after(WAIT):
        while True:
            messages = await inbox(server, user)
            if len(messages) >= count:
                return messages
            await trio.sleep(0.01)


async def wait_for_queue(
    server: RunningServer, done: Callable[[tuple[QueuedMessage, ...]], bool]
) -> tuple[QueuedMessage, ...]:
    """Poll the relay queue until ``done`` says so (fails after WAIT seconds)."""
    with trio.fail_after(WAIT):
        while True:
            queue = await server.context.store.relay_queue()
            if done(queue):
                return queue
            await trio.sleep(0.01)


@dataclasses.dataclass
class ParsedDSN:
    """A DSN as the standard library's email package reads it (RFC 6522 / 3464)."""

    message: EmailMessage
    text: str
    per_message: Message
    recipients: list[Message]
    returned: Message


def parse_dsn(stored: bytes) -> ParsedDSN:
    message = email.message_from_bytes(stored, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message.get_content_type() == "multipart/report"
    assert message.get_param("report-type") == "delivery-status"
    text, status, returned = message.get_payload()
    assert text.get_content_type() == "text/plain"
    assert status.get_content_type() == "message/delivery-status"
    blocks = status.get_payload()  # the email package splits the blocks for us
    return ParsedDSN(message, text.get_content(), blocks[0], blocks[1:], returned)


def dsn_tls_context(tmp_path: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate (for sinks)."""
    paths = ensure_self_signed(tmp_path / "sink-tls")
    return server_ssl_context(paths.cert, paths.key)
