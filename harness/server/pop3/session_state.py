"""``Pop3Session``: what one POP3 connection's command handlers share.

The connection's core and stream, the context, the session record, the APOP
timestamp, who has logged in (and holds the maildrop lock), and the maildrop.
The command handlers (``authorization``, ``transaction``) receive it; the
driving loop is ``run``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import trio

from harness.net.stream import ProtocolStream
from harness.protocols.common import RemoteProtocolError, Role
from harness.protocols.pop3 import (
    Command,
    ConnectionClosed,
    Err,
    Event,
    Ok,
    POP3Connection,
    POP3Limits,
    State,
)
from harness.server.config import ListenerConfig
from harness.server.context import ServerContext
from harness.server.listeners import ClientInfo
from harness.server.pop3.maildrop import Maildrop
from harness.server.sessionlog import SessionRecord

CommandHandler = Callable[["Pop3Session", Any], Awaitable[None]]
"""``async (session, command)``: answers one command completely."""

MAX_REFUSED_LINES = 100  # garbage from one client ends its session, not the server


class Pop3Session:
    """The state one connection's handlers share."""

    def __init__(
        self,
        stream: trio.abc.Stream,
        client: ClientInfo,
        listener: ListenerConfig,
        ctx: ServerContext,
        record: SessionRecord,
    ) -> None:
        self.ctx = ctx
        self.listener = listener
        self.record = record
        limits = POP3Limits(max_command_line=ctx.limits.pop3_command_line)
        self.conn = POP3Connection(Role.SERVER, limits, tls=client.tls is not None)
        self.stream = ProtocolStream(
            self.conn,
            stream,
            idle_timeout=ctx.limits.pop3_idle_timeout,
            transcript=record.transcript_hook(),
        )
        # RFC 1939 §7: the APOP timestamp "MUST be different each time the
        # POP3 server issues a banner greeting".
        self.timestamp = _timestamp(ctx.hostname) if ctx.auth.apop_enabled else None
        self.user_name: str | None = None  # the name given to the last successful USER
        self.account: str | None = None  # authenticated, maildrop locked
        self.maildrop: Maildrop | None = None
        self.refused_lines = 0

    @property
    def tls(self) -> bool:
        return self.conn.session.tls

    async def reply(self, response: Event) -> None:
        await self.stream.send(response)

    async def reply_all(self, events: Iterable[Event]) -> None:
        """Several replies (a status line and a listing) in one write."""
        await self.stream.send_raw(b"".join(self.conn.send(event) for event in events))

    async def ok(self, text: str = "", code: str | None = None) -> None:
        await self.stream.send(Ok(text, code))

    async def err(self, text: str, code: str | None = None) -> None:
        await self.stream.send(Err(text, code))

    def greeting(self) -> Ok:
        text = f"{self.ctx.hostname} mailharness POP3 server ready"
        return Ok(f"{text} {self.timestamp}" if self.timestamp else text)

    async def run(self, handlers: dict[type[Command], CommandHandler]) -> None:
        """Greet, then answer commands until QUIT, close, or a time limit."""
        await self.stream.send(self.greeting())
        while self.conn.state is not State.CLOSED:
            try:
                event = await self.stream.next_event()
                if isinstance(event, ConnectionClosed):
                    self.record.result = "closed"
                    return
                await self.answer(handlers, event)
            except RemoteProtocolError as exc:  # also raised inside AUTH, by its lines
                if not await self.refuse(exc):
                    return

    async def answer(self, handlers: dict[type[Command], CommandHandler], event: object) -> None:
        handler = handlers.get(type(event)) if isinstance(event, Command) else None
        if handler is None:  # the core yields only commands here; anything else is our bug
            raise AssertionError(f"no POP3 handler for {event!r}")
        with trio.fail_after(self.ctx.limits.pop3_idle_timeout):
            await handler(self, event)

    async def refuse(self, exc: RemoteProtocolError) -> bool:
        """Write the core's -ERR for a bad line; False once the client has sent too many."""
        self.refused_lines += 1
        if self.refused_lines > MAX_REFUSED_LINES:
            await self.stream.send_raw(b"-ERR too many bad commands, closing\r\n")
            self.record.result = "too many errors"
            return False
        await self.stream.send_raw(exc.reply or b"-ERR\r\n")
        return not exc.fatal

    def lock(self, account: str) -> bool:
        """Take the maildrop lock for ``account`` (RFC 1939 §4); False if in use."""
        if not self.ctx.maildrop_locks.acquire(account):
            return False
        self.account = account
        return True

    def release(self) -> None:
        if self.account is not None:
            self.ctx.maildrop_locks.release(self.account)
            self.account = None


def _timestamp(hostname: str) -> str:
    """An RFC 1939 §7 msg-id style timestamp, unique per greeting."""
    return f"<{secrets.token_hex(6)}.{time.time_ns()}@{hostname}>"
