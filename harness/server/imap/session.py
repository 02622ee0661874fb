"""The IMAP4rev1 / IMAP4rev2 session of the reference server: ``handle``.

    async def handle(stream, client, listener, ctx) -> None

(the contract is in ``harness.server.context``). One session drives the
sans-IO core (``IMAPConnection``) over the stream: greeting, then one command
at a time, each answered before the next is read, as the core's state table
needs. The handlers live with the state RFC 9051 §6 lists them under:
``any_state``, ``not_authenticated``, ``authenticated/*``, ``selected/*``.

Around every command in the selected state the session announces what
other sessions changed (``selected.updates``): before FETCH, STORE, SEARCH,
COPY and MOVE only new messages and flags, after any command EXPUNGEs too,
except after FETCH, STORE and SEARCH (RFC 3501 §7.4.1).

Hardening: the core bounds lines and literals; a synchronising literal above
its command's limit is refused before any octet comes; BAD answers garbage
and the session continues, until too many errors in a row; silence for
``imap_idle_timeout`` ends in "* BYE" (RFC 9051 §5.4: "at least 30 minutes").
"""

from __future__ import annotations

import socket

import trio

from harness.net.stream import IdleTimeout, PeerClosed, ProtocolStream
from harness.protocols.common import RemoteProtocolError, Role
from harness.protocols.imap import (
    Command,
    ConnectionClosed,
    Continuation,
    Copy,
    Fetch,
    IMAPConnection,
    IMAPLimits,
    LiteralRequest,
    Move,
    ResponseCode,
    Search,
    Store,
    TaggedResponse,
    UntaggedStatus,
)
from harness.server.config import Limits, ListenerConfig
from harness.server.context import ServerContext
from harness.server.imap.base import CommandFailed, Session
from harness.server.imap.capabilities import capabilities
from harness.server.imap.dispatch import HANDLERS, Handler
from harness.server.imap.selected.updates import announce
from harness.server.listeners import ClientInfo
from harness.server.store import StoreError

MAX_ERRORS_IN_A_ROW = 20  # then "* BYE": a client this confused is not getting better
SMALL_LITERAL = 64 * 1024  # literals of commands other than APPEND (names, passwords, search)
BYE_TIMEOUT = 5.0  # a parting BYE is not worth waiting long for
PRE_ANNOUNCE = (Fetch, Store, Search, Copy, Move)
CONNECTION_LOST = (trio.BrokenResourceError, trio.ClosedResourceError, IdleTimeout, PeerClosed)


def imap_limits(limits: Limits) -> IMAPLimits:
    """The core's caps from the server config. RFC 7162 §4: servers "SHOULD accept
    command lines of at least 8192 octets"; the core counts the CRLF, the config not."""
    biggest = max(limits.max_literal, limits.max_message_size)
    return IMAPLimits(
        max_line=limits.imap_command_line + 2, max_literal=biggest, max_unit=biggest + (1 << 20)
    )


async def handle(
    stream: trio.abc.Stream, client: ClientInfo, listener: ListenerConfig, ctx: ServerContext
) -> None:
    with ctx.log.session(listener.service, client) as record:
        conn = IMAPConnection(Role.SERVER, imap_limits(ctx.limits))
        protocol_stream = ProtocolStream(
            conn,
            stream,
            idle_timeout=ctx.limits.imap_idle_timeout,
            transcript=record.transcript_hook(),
        )
        s = Session(protocol_stream, conn, ctx, client, listener, record)
        try:
            await _run(s)
        except trio.Cancelled:  # the server is stopping: say so (RFC 9051 §7.1.5)
            await _parting_bye(s, "server shutting down", "UNAVAILABLE")
            raise
        except CONNECTION_LOST:
            raise
        except Exception:  # a bug: tell the client, and let the listener log it
            await _parting_bye(s, "internal server error", "SERVERBUG")
            raise
        finally:
            with trio.CancelScope(shield=True):
                await s.watch.aclose()
            if protocol_stream.stream is not stream:
                await _close_tls(protocol_stream)


async def _run(s: Session) -> None:
    if s.client.over_limit:
        s.record.result = "refused"
        await _bye(s, "too many connections from your address", "UNAVAILABLE")
        return
    code = ResponseCode("CAPABILITY", capabilities(s))
    await s.send_now(UntaggedStatus("OK", f"{s.ctx.hostname} mailharness IMAP ready", code))
    try:
        await _serve(s)
    except PeerClosed:
        s.record.result = "closed"
    except IdleTimeout:
        # RFC 9051 §5.4: the autologout timer; say why before closing
        s.record.result = "timeout"
        await _bye(s, "autologout: idle for too long")


async def _serve(s: Session) -> None:
    errors = 0
    while not s.finished:  # bounded by the idle timeout and the peer's commands
        try:
            event = await s.stream.next_event()
        except RemoteProtocolError as exc:
            errors += 1
            await _refuse_unit(s, exc, errors)
            continue
        if isinstance(event, ConnectionClosed):
            s.record.result = "closed"
            return
        if isinstance(event, LiteralRequest):
            await _answer_literal(s, event)
        elif isinstance(event, Command):
            ok = await _run_command(s, event)
            errors = 0 if ok else errors + 1
            if errors >= MAX_ERRORS_IN_A_ROW:
                await _too_many_errors(s)


async def _refuse_unit(s: Session, exc: RemoteProtocolError, errors: int) -> None:
    """A unit the core could not accept: its reply (tagged BAD when it has a tag)."""
    await s.send_error_reply(exc)
    if exc.fatal:
        s.record.result = "protocol-error"
        s.finished = True
    elif errors >= MAX_ERRORS_IN_A_ROW:
        await _too_many_errors(s)


async def _too_many_errors(s: Session) -> None:
    s.record.result = "too-many-errors"
    await _bye(s, "too many errors in a row")


async def _answer_literal(s: Session, request: LiteralRequest) -> None:
    """RFC 9051 §7.5: "+" to go ahead, or a tagged NO and the client sends nothing."""
    limit = s.ctx.limits.max_message_size if request.command == "APPEND" else SMALL_LITERAL
    if request.size > limit:
        code = ResponseCode("TOOBIG")
        await s.send_now(TaggedResponse(request.tag, "NO", f"literal over {limit} octets", code))
    else:
        await s.send_now(Continuation("ready for literal data"))
        quick_ack(s.stream.stream)


def quick_ack(stream: trio.abc.Stream) -> None:
    """Acknowledge the literal's segments at once (Linux TCP_QUICKACK).

    Clients commonly write the literal and its closing CRLF separately (imaplib
    does); with Nagle's algorithm on their side, the CRLF waits for our ACK of
    the literal, which a delayed ACK holds back ~40 ms: every synchronising
    APPEND would stall that long.
    """
    while isinstance(stream, trio.SSLStream):
        stream = stream.transport_stream
    if isinstance(stream, trio.SocketStream) and hasattr(socket, "TCP_QUICKACK"):
        try:
            stream.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except OSError:
            pass  # not a TCP socket after all: nothing to speed up


async def _run_command(s: Session, command: Command) -> bool:
    """Run one command and send its tagged reply; True if it was OK."""
    handler: Handler = HANDLERS[type(command)]
    if s.selected is not None and isinstance(command, PRE_ANNOUNCE):
        await announce(s, expunge=False)
    try:
        done = await handler(s, command)
    except CommandFailed as failed:
        reply = TaggedResponse(command.tag, failed.status, failed.text, failed.code)
    except StoreError as exc:
        code = ResponseCode(exc.imap_code or "SERVERBUG")
        reply = TaggedResponse(command.tag, "NO", str(exc) or type(exc).__name__, code)
    except RemoteProtocolError as exc:  # a bad line inside IDLE or AUTHENTICATE
        await s.send_error_reply(exc)
        return False
    else:
        if done is None:  # the handler answered itself (STARTTLS, LOGOUT)
            return True
        reply = TaggedResponse(command.tag, "OK", done.text, done.code)
    if s.selected is not None:
        await announce(s, expunge=_may_expunge(command))
    await s.send_now(reply)
    return reply.status == "OK"


def _may_expunge(command: Command) -> bool:
    """RFC 3501 §7.4.1: no EXPUNGE "while responding to a FETCH, STORE, or SEARCH
    command"; the UID forms may carry one (RFC 9051 §7.5.1)."""
    return not isinstance(command, Fetch | Store | Search) or command.uses_uid


async def _close_tls(stream: ProtocolStream) -> None:
    """After STARTTLS the listener holds only the plain socket: end TLS here with
    close_notify, so the client sees a clean end and not a truncation."""
    with trio.move_on_after(BYE_TIMEOUT):
        try:
            await stream.aclose()
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass


async def _parting_bye(s: Session, text: str, code: str) -> None:
    """A last BYE on the way out, unless the session already said goodbye."""
    if s.finished:
        return
    with trio.CancelScope(shield=True):
        try:
            await _bye(s, text, code)
        except Exception:  # the stream may be what broke; nothing more to say then
            return


async def _bye(s: Session, text: str, code: str | None = None) -> None:
    s.finished = True
    with trio.move_on_after(BYE_TIMEOUT):
        try:
            await s.send_now(UntaggedStatus("BYE", text, ResponseCode(code) if code else None))
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
