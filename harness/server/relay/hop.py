"""One SMTP client session to one next hop: the relay's side of RFC 5321.

    greeting -> EHLO (HELO if EHLO is refused) -> STARTTLS and EHLO again,
    as the route's TLS policy says -> checks (preflight) -> MAIL, one RCPT per
    recipient (pipelined when offered, RFC 2920) -> BDAT LAST when CHUNKING is
    offered (RFC 3030), else DATA -> QUIT

Every recipient ends with a ``RecipientResult``: its RCPT reply if that
refused it, else the reply to the message text. A connection that fails,
drops or times out (§4.5.3.2's per-command limits) leaves every unsettled
recipient deferred, so the message is sent again later: RFC 5321 §6.1
prefers a duplicate to a loss.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass

import trio

from harness.net import IdleTimeout, PeerClosed, ProtocolStream, TranscriptHook, open_connection
from harness.protocols.common import RemoteProtocolError, Role
from harness.protocols.smtp import (
    Bdat,
    BdatChunk,
    ClientConnection,
    Data,
    Ehlo,
    Event,
    Helo,
    MailFrom,
    MessageData,
    MessageEnd,
    Quit,
    RcptTo,
    Reply,
    StartTLS,
)
from harness.protocols.smtp.address import (
    NULL_PATH,
    Address,
    Path,
    PathSyntaxError,
    parse_path,
)
from harness.server.config import RouteTLS
from harness.server.delivery import MailEnvelope, Recipient
from harness.server.relay import preflight
from harness.server.relay.outcome import (
    RecipientResult,
    Verdict,
    from_reply,
    local_failure,
    reply_text,
)
from harness.server.relay.routes import HopPlan
from harness.targets import TLSMode

_PIECE = 64 * 1024  # message text is written in pieces of this size
_NO_LIMIT = 1 << 20  # path limits are the receiving server's business, not ours
CONNECTION_ERRORS = (OSError, trio.BrokenResourceError, trio.ClosedResourceError)


@dataclass(frozen=True, slots=True)
class HopSettings:
    """How the relay behaves as an SMTP client (timeouts: RFC 5321 §4.5.3.2)."""

    helo_name: str
    ssl_context: ssl.SSLContext
    connect_timeout: float
    command_timeout: float
    data_timeout: float


class LostConnection(Exception):
    """The hop closed, timed out or broke the protocol mid-session."""


async def deliver_to_hop(
    plan: HopPlan,
    envelope: MailEnvelope,
    content: bytes,
    settings: HopSettings,
    transcript: TranscriptHook | None = None,
) -> list[RecipientResult]:
    """Send ``content`` to the plan's recipients over one SMTP session."""
    addresses = [recipient.address for recipient in plan.recipients]
    try:
        stream = await _connect(plan, settings)
    except trio.TooSlowError:
        why = f"connect to {plan.where} timed out"
        return local_failure(addresses, Verdict.DEFERRED, "4.4.1", why)
    except CONNECTION_ERRORS as exc:
        why = f"cannot connect to {plan.where}: {_reason(exc)}"
        return local_failure(addresses, Verdict.DEFERRED, "4.4.1", why)
    conn = ClientConnection(Role.CLIENT)
    async with ProtocolStream(
        conn, stream, idle_timeout=settings.command_timeout, transcript=transcript
    ) as wire:
        session = HopSession(plan, wire, conn, settings)
        try:
            await session.run(envelope, content)
        except (LostConnection, *CONNECTION_ERRORS) as exc:
            session.settle_rest(Verdict.DEFERRED, "4.4.2", f"{plan.where}: {_reason(exc)}")
        return session.results()


async def _connect(plan: HopPlan, settings: HopSettings) -> trio.abc.Stream:
    implicit = plan.route.tls is RouteTLS.IMPLICIT
    with trio.fail_after(settings.connect_timeout):
        return await open_connection(
            plan.route.host,
            plan.route.port,
            TLSMode.IMPLICIT if implicit else TLSMode.NONE,
            settings.ssl_context if implicit else None,
            server_hostname=plan.route.host,
        )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    cause = exc.__cause__
    return str(exc) or (str(cause) if cause else type(exc).__name__)


class HopSession:
    """The SMTP dialogue with one next hop, recipient results kept as they settle."""

    def __init__(
        self,
        plan: HopPlan,
        wire: ProtocolStream,
        conn: ClientConnection,
        settings: HopSettings,
    ) -> None:
        self.plan = plan
        self.wire = wire
        self.conn = conn  # the core ``wire`` drives: the negotiated extensions
        self.settings = settings
        self.remote_mta = plan.route.host  # until the greeting names the host
        self._settled: dict[str, RecipientResult] = {}
        self._dsn_capable = False

    # -- results -----------------------------------------------------------

    def results(self) -> list[RecipientResult]:
        return [self._settled[r.address] for r in self.plan.recipients]

    def _pending(self) -> list[str]:
        return [r.address for r in self.plan.recipients if r.address not in self._settled]

    def _settle(self, results: Sequence[RecipientResult]) -> None:
        for result in results:
            self._settled.setdefault(result.recipient, result)

    def _settle_by_reply(self, addresses: Sequence[str], reply: Reply) -> None:
        self._settle(from_reply(addresses, reply, self.remote_mta, dsn_capable=self._dsn_capable))

    def settle_rest(self, verdict: Verdict, status: str, why: str) -> None:
        self._settle(local_failure(self._pending(), verdict, status, why, self.remote_mta))

    # -- the dialogue ------------------------------------------------------

    async def run(self, envelope: MailEnvelope, content: bytes) -> None:
        greeting = await self._reply()
        if greeting.code != 220:
            self._settle_by_reply(self._pending(), greeting)
            return await self._quit()
        self.remote_mta = _host_named(greeting) or self.remote_mta
        if not await self._hello() or not await self._secure():
            return await self._quit()
        ext = self.conn.extensions
        self._dsn_capable = "DSN" in ext
        refused = preflight.refusal(envelope, self.plan.recipients, content, ext)
        if refused is not None:
            self.settle_rest(Verdict.FAILED, refused.status, refused.why)
            return await self._quit()
        accepted = await self._envelope(envelope, content, ext)
        if accepted:
            final = await self._send_text(envelope, content, "CHUNKING" in ext)
            self._settle_by_reply(accepted, final)
        await self._quit()

    async def _hello(self) -> bool:
        reply = await self._command(Ehlo(self.settings.helo_name))
        if reply.code // 100 == 5:  # §3.2: a server that knows no EHLO takes HELO
            reply = await self._command(Helo(self.settings.helo_name))
        if reply.code // 100 != 2:
            self._settle_by_reply(self._pending(), reply)
            return False
        return True

    async def _secure(self) -> bool:
        """STARTTLS as the route's policy says (RFC 3207); False if the mail must wait."""
        policy = self.plan.route.tls
        if policy not in (RouteTLS.OPPORTUNISTIC, RouteTLS.REQUIRED):
            return True
        offered = "STARTTLS" in self.conn.extensions
        if not offered:
            if policy is RouteTLS.REQUIRED:
                self.settle_rest(Verdict.DEFERRED, "4.7.4", "TLS required, STARTTLS not offered")
                return False
            return True
        reply = await self._command(StartTLS())
        if reply.code != 220:
            if policy is RouteTLS.REQUIRED:
                why = f"TLS required, STARTTLS refused: {reply_text(reply)}"
                self.settle_rest(Verdict.DEFERRED, "4.7.4", why)
                return False
            return True
        await self.wire.start_tls(
            self.settings.ssl_context, server_side=False, server_hostname=self.plan.route.host
        )
        # RFC 3207 §4.2: what was learnt before TLS is forgotten; EHLO again
        return await self._hello()

    async def _envelope(
        self, envelope: MailEnvelope, content: bytes, ext: preflight.Extensions
    ) -> list[str]:
        """MAIL and the RCPTs; returns the recipients the hop accepted."""
        recipients = self.plan.recipients
        sendable = self._paths(recipients)
        mail = MailFrom(
            _path(envelope.reverse_path) if envelope.reverse_path else NULL_PATH,
            preflight.mail_params(envelope, recipients, content, ext),
        )
        rcpts = [
            RcptTo(path, preflight.rcpt_params(recipient, ext)) for recipient, path in sendable
        ]
        replies = await self._exchange([mail, *rcpts], pipelined="PIPELINING" in ext)
        if replies[0].code // 100 != 2:
            self._settle_by_reply(self._pending(), replies[0])
            return []
        accepted = []
        for (recipient, _), reply in zip(sendable, replies[1:], strict=True):
            if reply.code // 100 == 2:
                accepted.append(recipient.address)
            else:
                self._settle_by_reply([recipient.address], reply)
        return accepted

    def _paths(self, recipients: Sequence[Recipient]) -> list[tuple[Recipient, Path]]:
        sendable = []
        for recipient in recipients:
            try:
                sendable.append((recipient, _path(recipient.address)))
            except PathSyntaxError as exc:
                why = f"cannot be sent as an SMTP path: {exc}"
                self._settle(local_failure([recipient.address], Verdict.FAILED, "5.1.3", why))
        return sendable

    async def _exchange(self, commands: Sequence[Event], *, pipelined: bool) -> list[Reply]:
        if not pipelined:
            return [await self._command(command) for command in commands]
        for command in commands:
            await self.wire.send(command)
        return [await self._reply() for _ in commands]

    async def _send_text(self, envelope: MailEnvelope, content: bytes, chunking: bool) -> Reply:
        """BDAT when offered (no dot-stuffing, binary allowed), else DATA."""
        if chunking:
            await self.wire.send(Bdat(len(content), last=True))
            for start in range(0, len(content), _PIECE):
                await self.wire.send(BdatChunk(content[start : start + _PIECE]))
            return await self._reply(self.settings.data_timeout)
        reply = await self._command(Data())
        if reply.code != 354:
            return reply
        for start in range(0, len(content), _PIECE):
            await self.wire.send(MessageData(content[start : start + _PIECE]))
        await self.wire.send(MessageEnd())
        return await self._reply(self.settings.data_timeout)

    async def _quit(self) -> None:
        """QUIT politely; what the hop does with it no longer matters."""
        try:
            await self._command(Quit())
        except (LostConnection, *CONNECTION_ERRORS):
            pass

    # -- commands and replies ----------------------------------------------

    async def _command(self, command: Event) -> Reply:
        await self.wire.send(command)
        return await self._reply()

    async def _reply(self, timeout: float | None = None) -> Reply:
        self.wire.idle_timeout = timeout or self.settings.command_timeout
        try:
            event = await self.wire.next_event()
        except (PeerClosed, IdleTimeout, RemoteProtocolError) as exc:
            raise LostConnection(_reason(exc)) from exc
        if not isinstance(event, Reply):  # ConnectionClosed after a 421
            raise LostConnection("the next hop closed the connection")
        if event.code == 421:
            raise LostConnection(f"421 {' '.join(event.lines)}")
        return event


def _path(address: str) -> Path:
    return Path(parse_mailbox(address))


def parse_mailbox(address: str) -> Address:
    """A queued address ("local@domain", quoted if needed) as an SMTP mailbox."""
    path, end = parse_path(f"<{address}>", 0, _NO_LIMIT, _NO_LIMIT, _NO_LIMIT)
    if end != len(address) + 2 or path.address is None:
        raise PathSyntaxError(f"not a mailbox: {address!r}")
    return path.address


def _host_named(greeting: Reply) -> str | None:
    """The domain that opens the 220 line (RFC 5321 §4.3.1), if it looks like one."""
    first = greeting.lines[0].split(" ", 1)[0]
    return first if "." in first or first.startswith("[") else None
