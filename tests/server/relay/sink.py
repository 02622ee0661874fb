"""A tiny SMTP sink for relay tests, built on the SMTP server core.

It offers exactly the extensions a test gives it (the core refuses, with
555 / 502, any parameter or command of an extension not offered, so a relay
that sends one fails the test), records every transaction, and answers RCPT
as the test says. STARTTLS is offered only with a server TLS context.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial

import trio

from harness.net import PeerClosed, ProtocolStream, start_tls
from harness.protocols.common import RemoteProtocolError, Role
from harness.protocols.smtp import (
    BdatChunk,
    ChunkEnd,
    ConnectionClosed,
    Data,
    Ehlo,
    Helo,
    MailFrom,
    MessageData,
    MessageEnd,
    Quit,
    RcptTo,
    Reply,
    SMTPConnection,
    StartTLS,
    ehlo_reply,
    reply,
)

PLAIN = {"PIPELINING": (), "ENHANCEDSTATUSCODES": ()}  # no 8BITMIME, DSN, CHUNKING...
OK = reply(250, "OK", "2.0.0")
RcptAnswer = Callable[[RcptTo], Reply]


@dataclass
class Received:
    """One transaction as the sink saw it."""

    mail: MailFrom
    rcpts: list[RcptTo] = field(default_factory=list)
    data: bytes = b""
    via: str = ""  # "DATA" or "BDAT"
    tls: bool = False  # MAIL came over TLS


@dataclass
class SMTPSink:
    extensions: dict[str, tuple[str, ...]]
    answer_rcpt: RcptAnswer = lambda event: OK
    tls: ssl.SSLContext | None = None
    implicit_tls: bool = False  # TLS from the first byte (else STARTTLS is offered)
    port: int = 0
    sessions: int = 0
    mail_commands: list[MailFrom] = field(default_factory=list)
    delivered: list[Received] = field(default_factory=list)

    async def handle(self, stream: trio.abc.Stream) -> None:
        self.sessions += 1
        if self.implicit_tls:
            assert self.tls is not None
            stream = await start_tls(stream, self.tls, server_side=True)
        conn = SMTPConnection(Role.SERVER)
        async with ProtocolStream(conn, stream, idle_timeout=10) as wire:
            await wire.send(reply(220, "sink.test ESMTP"))
            try:
                await self._serve(conn, wire)
            except PeerClosed:
                pass

    async def _serve(self, conn: SMTPConnection, wire: ProtocolStream) -> None:
        txn: Received | None = None
        for _ in range(10_000):  # bounded: a test session is a few commands
            try:
                event = await wire.next_event()
            except RemoteProtocolError as exc:
                await wire.send_raw(exc.reply or b"")
                continue
            if isinstance(event, (MessageData, BdatChunk)):
                assert txn is not None
                txn.data += event.data
                continue
            if isinstance(event, ConnectionClosed):
                return
            if conn.awaiting_reply is None:  # BDAT: its reply follows the chunk
                continue
            txn = await self._answer(conn, wire, event, txn)
            if isinstance(event, Quit):
                return

    async def _answer(
        self, conn: SMTPConnection, wire: ProtocolStream, event: object, txn: Received | None
    ) -> Received | None:
        if isinstance(event, Ehlo):
            offered = dict(self.extensions)
            if self.tls is not None and not conn.tls_active and not self.implicit_tls:
                offered["STARTTLS"] = ()
            await wire.send(ehlo_reply("sink.test", offered))
        elif isinstance(event, Helo):
            await wire.send(reply(250, "sink.test"))
        elif isinstance(event, StartTLS):
            assert self.tls is not None
            await wire.send(reply(220, "Go ahead", "2.0.0"))
            await wire.start_tls(self.tls, server_side=True)
        elif isinstance(event, MailFrom):
            self.mail_commands.append(event)
            txn = Received(event, tls=conn.tls_active)
            await wire.send(OK)
        elif isinstance(event, RcptTo):
            answer = self.answer_rcpt(event)
            if answer.code < 300 and txn is not None:
                txn.rcpts.append(event)
            await wire.send(answer)
        elif isinstance(event, Data):
            await wire.send(reply(354, "Go ahead"))
        elif isinstance(event, (MessageEnd, ChunkEnd)):
            await self._end_of_text(wire, event, txn)
        elif isinstance(event, Quit):
            await wire.send(reply(221, "Bye", "2.0.0"))
        else:
            await wire.send(OK)  # RSET, NOOP
        return txn

    async def _end_of_text(
        self, wire: ProtocolStream, event: MessageEnd | ChunkEnd, txn: Received | None
    ) -> None:
        assert txn is not None
        if isinstance(event, ChunkEnd) and not event.last:
            await wire.send(OK)
            return
        txn.via = "DATA" if isinstance(event, MessageEnd) else "BDAT"
        self.delivered.append(txn)
        await wire.send(reply(250, "Queued", "2.0.0"))


@asynccontextmanager
async def running_sink(
    extensions: dict[str, tuple[str, ...]] | None = None,
    *,
    answer_rcpt: RcptAnswer | None = None,
    tls: ssl.SSLContext | None = None,
    implicit_tls: bool = False,
) -> AsyncIterator[SMTPSink]:
    sink = SMTPSink(
        dict(PLAIN if extensions is None else extensions), tls=tls, implicit_tls=implicit_tls
    )
    if answer_rcpt is not None:
        sink.answer_rcpt = answer_rcpt
    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(partial(trio.serve_tcp, sink.handle, 0, host="127.0.0.1"))
        sink.port = listeners[0].socket.getsockname()[1]
        try:
            yield sink
        finally:
            nursery.cancel_scope.cancel()
