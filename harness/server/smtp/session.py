"""One SMTP server session: ``handle`` is the reference server's SMTP handler.

It drives the sans-IO core (``harness.protocols.smtp``) in the order the
core's docstring gives: the greeting, then one event at a time, each
answered before the core yields the next, so pipelined commands (RFC 2920)
are answered in order. Replies are collected and written when the session
would otherwise wait: for more input, for the store, for the TLS handshake,
or for the delay after a failed AUTH. A pipelined batch is answered with one
write and nothing the client waits for is ever held back.

A command the core refuses carries its reply (``RemoteProtocolError.reply``),
which is written, and the session goes on (§4.2.4), until it has refused
``MAX_ERRORS`` (then 421 4.7.0). Time limits: ``smtp_idle_timeout`` (§4.5.3.2.7:
at least 5 minutes) bounds the wait for each command or piece of text and the
handling of each; either ending is 421 4.4.2 (§3.8). A client over the
per-address connection cap gets 421 4.7.0 instead of the greeting. Each
session is one log line; each message one more (``ctx.log``).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

import trio

from harness.net.stream import IdleTimeout, PeerClosed, ProtocolStream
from harness.protocols.common import NEED_DATA, RemoteProtocolError, Role
from harness.protocols.sasl import ServerExchange
from harness.protocols.smtp import (
    Auth,
    AuthLine,
    Bdat,
    BdatChunk,
    ChunkEnd,
    ConnectionClosed,
    Data,
    Ehlo,
    Event,
    Expn,
    Helo,
    Help,
    MailFrom,
    MessageData,
    MessageEnd,
    Noop,
    Quit,
    RcptTo,
    Reply,
    Rset,
    ServerConnection,
    StartTLS,
    State,
    Vrfy,
)
from harness.server.config import ListenerConfig
from harness.server.context import ServerContext
from harness.server.delivery import filing_rules
from harness.server.listeners import ClientInfo
from harness.server.relay import serve_relay
from harness.server.sessionlog import SessionRecord
from harness.server.smtp import auth, commands, transaction
from harness.server.smtp import replies as R
from harness.server.smtp.settings import core_limits, core_policy
from harness.server.smtp.transaction import Transaction

# The app starts a session module's ``serve_background`` once, before the
# listeners (harness.server.app): for SMTP, the relay queue's delivery worker.
serve_background = serve_relay

MAX_ERRORS = 25  # refused commands and failed logins before the session is closed
CLOSE_TIMEOUT = 5.0  # for the last reply and the TLS close_notify to a peer that stalls
WATCHDOG_SLACK = 1.0  # seconds a timeout may fire late, so a busy session rarely re-arms

Handler = Callable[["SmtpSession", Any], Awaitable[None]]
HANDLERS: dict[type[Event], Handler] = {
    Ehlo: commands.on_ehlo,
    Helo: commands.on_helo,
    Noop: commands.on_noop,
    Rset: commands.on_rset,
    Vrfy: commands.on_vrfy,
    Expn: commands.on_expn,
    Help: commands.on_help,
    Quit: commands.on_quit,
    StartTLS: commands.on_starttls,
    Auth: auth.on_auth,
    AuthLine: auth.on_auth_line,
    MailFrom: transaction.on_mail,
    RcptTo: transaction.on_rcpt,
    Data: transaction.on_data,
    MessageData: transaction.on_message_data,
    MessageEnd: transaction.on_message_end,
    Bdat: transaction.on_bdat,
    BdatChunk: transaction.on_bdat_chunk,
    ChunkEnd: transaction.on_chunk_end,
}


async def handle(
    stream: trio.abc.Stream, client: ClientInfo, listener: ListenerConfig, ctx: ServerContext
) -> None:
    """The SMTP session handler (``harness.server.context`` describes the contract)."""
    with ctx.log.session(listener.service, client) as record:
        session = SmtpSession(stream, client, listener, ctx, record)
        try:
            if client.over_limit:
                record.result = "refused: too many connections"
                await session.close_with(R.TOO_MANY_CONNECTIONS)
                return
            await session.run()
        except IdleTimeout:
            record.result = "timeout"
            await session.close_with(R.TIMEOUT)
        except PeerClosed:
            record.result = "closed"
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            record.result = "connection lost"
        except trio.Cancelled:
            record.result = "server shutdown"
            with trio.CancelScope(shield=True):  # §3.8: say 421 before closing
                await session.close_with(R.SHUTTING_DOWN)
            raise
        finally:
            await session.aclose()


class SmtpSession:
    """The state one connection's handlers share; ``run`` is its loop."""

    def __init__(
        self,
        stream: trio.abc.Stream,
        client: ClientInfo,
        listener: ListenerConfig,
        ctx: ServerContext,
        record: SessionRecord,
    ) -> None:
        self.ctx = ctx
        self.client = client
        self.listener = listener
        self.record = record
        self.conn = ServerConnection(Role.SERVER, core_limits(ctx), core_policy(ctx, listener))
        if client.tls is not None:  # implicit TLS (RFC 8314): TLS before the greeting
            self.conn.session.tls_active = True
        # The time limit is our watchdog's, not the stream's: one cancel scope
        # for the session whose deadline moves on, not one per read and write.
        self.io = ProtocolStream(self.conn, stream, transcript=record.transcript_hook())
        self.command_timeout = ctx.limits.smtp_idle_timeout
        self._slack = min(WATCHDOG_SLACK, self.command_timeout / 16)
        self._deadline = -math.inf  # the watchdog's, kept here: reading it back costs more
        self._clock = trio.lowlevel.current_clock().current_time
        self._watchdog = trio.CancelScope()
        self.rules = filing_rules(ctx.config.accounts)
        self.user: str | None = None  # the authenticated account
        self.txn: Transaction | None = None
        self.exchange: ServerExchange | None = None  # the SASL exchange awaiting a line
        self.errors = 0
        self.finished = False
        self._out: list[bytes] = []

    # -- the loop ----------------------------------------------------------

    async def run(self) -> None:
        """Serve until QUIT or the end of the connection; IdleTimeout when a wait
        or a command outlasts ``command_timeout``."""
        with self._watchdog:
            await self._serve()
        if self._watchdog.cancelled_caught:
            raise IdleTimeout(f"nothing completed within {self.command_timeout} s")

    def arm(self) -> None:
        """Give the next wait or command at least ``command_timeout`` seconds from now.

        Moving a cancel scope's deadline re-sorts trio's deadline heap, and a
        session arms several times per command. So the deadline is set
        ``_slack`` beyond the limit and moved only once it would fall short:
        a busy session moves it at most once per ``_slack`` seconds, and an
        idle one times out between ``command_timeout`` and that plus ``_slack``.
        """
        now = self._clock()
        if self._deadline - now < self.command_timeout:
            self._deadline = now + self.command_timeout + self._slack
            self._watchdog.deadline = self._deadline

    async def _serve(self) -> None:
        self.reply(commands.greeting(self))
        while not self.finished:
            try:
                event = await self.next_event()
            except RemoteProtocolError as exc:
                await self.refuse(exc)
                continue
            if isinstance(event, ConnectionClosed):
                self.record.result = "closed"
                return
            await self.dispatch(event)
        await self.flush()

    async def next_event(self) -> object:
        event: object = self.conn.next_event()
        if event is NEED_DATA:
            await self.flush()  # about to wait for the client: it must have every answer
            self.arm()
            event = await self.io.next_event()
        return event

    async def dispatch(self, event: object) -> None:
        handler = HANDLERS.get(type(event)) if isinstance(event, Event) else None
        if handler is None:  # the core yields only the events above; anything else is our bug
            raise AssertionError(f"no SMTP handler for {event!r}")
        self.arm()
        await handler(self, event)
        self._follow_core()

    def _follow_core(self) -> None:
        """Drop what the core has ended: the transaction, a SASL exchange."""
        if self.conn.mail_from is None:
            self.txn = None
        if self.conn.state is not State.AUTH:
            self.exchange = None

    async def refuse(self, exc: RemoteProtocolError) -> None:
        """Write the core's reply to what it refused; 421 after too many."""
        if self.txn is not None and self.txn.in_text:
            self.record.message("rejected", mid=self.txn.message_id, reason=exc.message)
        self._follow_core()
        if self.txn is not None:
            self.txn.chunks.clear()  # a failed BDAT: nothing more is accepted until RSET
        self._out.append(exc.reply or b"500 5.5.2 Syntax error\r\n")
        self.count_error()
        if exc.fatal or self.errors >= MAX_ERRORS:
            if not exc.fatal:
                self.reply(R.TOO_MANY_ERRORS)
            self.record.result = "too many errors" if not exc.fatal else "protocol error"
            self.finished = True

    def count_error(self) -> None:
        self.errors += 1

    # -- output ------------------------------------------------------------

    def reply(self, reply: Reply) -> None:
        """Queue a reply (the core checks it answers what is pending)."""
        self._out.append(self.conn.send(reply))

    async def flush(self) -> None:
        if self._out:
            data = b"".join(self._out)
            self._out.clear()
            self.arm()  # a client that never reads cannot hold the session
            await self.io.send_raw(data)

    async def close_with(self, reply: Reply) -> None:
        """Best effort: say why (421, §3.8), within a short time, then stop."""
        if self.conn.state is State.CLOSED:
            return
        with trio.move_on_after(CLOSE_TIMEOUT):
            try:
                self.reply(reply)
                await self.flush()
            except (trio.BrokenResourceError, trio.ClosedResourceError, trio.TooSlowError):
                pass
        self.finished = True

    def require_transaction(self) -> Transaction:
        assert self.txn is not None, "the core yields this only inside a transaction"
        return self.txn

    async def aclose(self) -> None:
        """Close our end; after STARTTLS that is the TLS stream (close_notify)."""
        with trio.CancelScope(shield=True), trio.move_on_after(CLOSE_TIMEOUT):
            await self.io.aclose()
