"""The client half of the SMTP core: commands out, replies in.

Commands may be pipelined (RFC 2920): each one sent is queued until its reply
is read, and each reply is matched to the oldest queued command, so the
session state follows the server's answers exactly (state.py). What must wait
for a reply waits: nothing after DATA until 354 (§4.1.1.4: the client "MUST
NOT" send the text before), after STARTTLS, AUTH or QUIT.

Every command is written, then parsed back with the server's grammar: a
well-behaved client cannot put bad bytes on the wire (LocalProtocolError).
"""

from __future__ import annotations

from collections import deque

from harness.protocols.common import (
    NEED_DATA,
    LocalProtocolError,
    NeedData,
    RemoteProtocolError,
    Role,
)
from harness.protocols.smtp.commands import CommandParser, format_auth_line, format_command
from harness.protocols.smtp.connection import SMTPConnection
from harness.protocols.smtp.events import (
    Auth,
    AuthLine,
    Bdat,
    BdatChunk,
    ChunkEnd,
    ConnectionClosed,
    Data,
    Event,
    MessageData,
    MessageEnd,
    Quit,
    Reply,
    StartTLS,
)
from harness.protocols.smtp.limits import SMTPLimits, SMTPPolicy
from harness.protocols.smtp.replies import ReplyDecoder
from harness.protocols.smtp.state import State

_BLOCKING = (Data, StartTLS, Auth, AuthLine, Quit)  # the client waits for their reply
_THREE_XX = {Data: 354, Auth: 334, AuthLine: 334}
_UNLIMITED = SMTPLimits(
    max_command_line=1 << 20,
    max_envelope_line=1 << 20,
    max_local_part=1 << 20,
    max_domain=1 << 20,
    max_path=1 << 20,
)


class DotStuffer:
    """Dot-stuffs message text piece by piece (RFC 5321 §4.5.2).

    §2.3.8: the client "MUST NOT" send a bare CR or LF, so such text is
    refused here rather than put on the wire.
    """

    def __init__(self) -> None:
        self._tail = b"\r\n"  # the DATA line ended in CRLF: the text starts a line

    def stuff(self, data: bytes) -> bytes:
        if not data:
            return b""
        self._check_newlines(data)
        combined = self._tail + data
        # the tail lets a "." after a CRLF split across pieces be seen
        stuffed = combined.replace(b"\r\n.", b"\r\n..")[len(self._tail) :]
        self._tail = combined[-2:]
        return stuffed

    def end(self) -> bytes:
        """The terminator; CRLF first if the text did not end with one."""
        if self._tail == b"\r\n":
            return b".\r\n"
        if self._tail.endswith(b"\r"):
            raise LocalProtocolError("message text ends with a bare CR")
        return b"\r\n.\r\n"

    def _check_newlines(self, data: bytes) -> None:
        text = b"\r" + data if self._tail.endswith(b"\r") else data
        crlf = text.count(b"\r\n")
        trailing_cr = 1 if text.endswith(b"\r") else 0
        if text.count(b"\n") != crlf or text.count(b"\r") - trailing_cr != crlf:
            raise LocalProtocolError("RFC 5321 section 2.3.8: no bare CR or LF in message text")


class ClientConnection(SMTPConnection, role=Role.CLIENT):
    """SMTP in the client role."""

    def __init__(
        self, role: Role, limits: SMTPLimits | None = None, policy: SMTPPolicy | None = None
    ) -> None:
        super().__init__(role, limits, policy)
        self._decoder = self._new_decoder()
        self._checker = CommandParser(_UNLIMITED, SMTPPolicy(strict_envelope=True), any_param=True)
        self._pending: deque[Event] = deque()
        self._stuffer: DotStuffer | None = None  # set while message text may be sent
        self._chunk: Bdat | None = None  # the BDAT whose octets are being sent
        self._chunk_left = 0
        self._chunk_done: ChunkEnd | None = None
        self._peer_closed = False
        self._greeting: Reply | None = None

    @property
    def greeting(self) -> Reply | None:
        return self._greeting

    def _new_decoder(self) -> ReplyDecoder:
        accept_bare = self.session.policy.bare_lf_lines == "accept"
        return ReplyDecoder(self.limits.max_reply_line, self.limits.max_reply_lines, accept_bare)

    @property
    def buffered(self) -> int:
        return len(self._decoder.lines)

    @property
    def pending(self) -> tuple[Event, ...]:
        """Commands sent whose replies have not been read yet, oldest first."""
        return tuple(self._pending)

    def receive_data(self, data: bytes) -> None:
        if self.session.state is State.STARTTLS:
            self._record_injection(data)
        elif not data:
            self._peer_closed = True
        elif self._peer_closed:
            raise LocalProtocolError("receive_data() after the peer closed")
        else:
            self._decoder.feed(data)

    def next_event(self) -> Event | NeedData:
        session = self.session
        if session.state is State.CLOSED:
            return ConnectionClosed()
        if session.state is State.STARTTLS:
            raise LocalProtocolError("220 to STARTTLS read: call start_tls() after the handshake")
        reply = self._decoder.next_reply()
        if reply is None:
            if self._peer_closed:
                session.state = State.CLOSED
                return ConnectionClosed()
            return NEED_DATA
        if session.state is State.CONNECTED:
            session.greeted(reply.code)
            self._greeting = reply
        elif reply.code == 421 and not self._pending:
            session.state = State.CLOSED  # §3.8: a server may close at any time
        else:
            self._match(reply)
        return reply

    def _match(self, reply: Reply) -> None:
        if not self._pending:
            raise RemoteProtocolError(
                f"reply {reply.code} answers no command (RFC 5321 section 4.2)"
            )
        command = self._pending.popleft()
        if reply.code // 100 == 3 and _THREE_XX.get(type(command)) != reply.code:
            raise RemoteProtocolError(f"{reply.code} is not a reply to {type(command).__name__}")
        self.session.apply(command, reply)
        state = self.session.state
        if state is State.DATA:
            self._stuffer = DotStuffer()
        elif state is State.STARTTLS:
            self._record_injection(bytes(self._decoder.lines.buffer))
            self._decoder = self._new_decoder()

    def start_tls(self) -> None:
        if self.session.state is not State.STARTTLS:
            raise LocalProtocolError("start_tls() is only valid after 220 to STARTTLS")
        self.session.restart_after_tls()
        self._decoder = self._new_decoder()

    def send(self, event: Event) -> bytes:
        if isinstance(event, MessageData):
            return self._stuffer_or_fail().stuff(event.data)
        if isinstance(event, MessageEnd):
            wire = self._stuffer_or_fail().end()
            self._stuffer = None
            self._pending.append(MessageEnd())
            return wire
        if isinstance(event, BdatChunk):
            return self._send_chunk(event.data)
        if isinstance(event, ChunkEnd):
            if event != self._chunk_done:
                raise LocalProtocolError("ChunkEnd does not match a completed BDAT chunk")
            self._chunk_done = None
            return b""
        if isinstance(event, AuthLine):
            return self._send_auth_line(event)
        return self._send_command(event)

    def _stuffer_or_fail(self) -> DotStuffer:
        if self._stuffer is None:
            raise LocalProtocolError("message text only after a 354 reply to DATA")
        return self._stuffer

    def _send_chunk(self, data: bytes) -> bytes:
        if not data:
            return b""  # nothing to send (a BDAT 0 is complete with its line)
        if self._chunk is None or len(data) > self._chunk_left:
            raise LocalProtocolError("BDAT chunk data beyond the announced size")
        self._chunk_left -= len(data)
        if not self._chunk_left:
            self._finish_chunk()
        return data

    def _finish_chunk(self) -> None:
        assert self._chunk is not None
        self._chunk_done = ChunkEnd(self._chunk.size, self._chunk.last)
        self._pending.append(self._chunk_done)
        self._chunk = None

    def _send_auth_line(self, event: AuthLine) -> bytes:
        if self.session.state is not State.AUTH or self._pending:
            raise LocalProtocolError("an AUTH line answers a 334 challenge")
        if event.cancelled and event.data:
            raise LocalProtocolError("a cancelled AuthLine carries no data")
        self._pending.append(event)
        return format_auth_line(event)

    def _send_command(self, event: Event) -> bytes:
        self._check_may_send(event)
        try:
            wire = format_command(event)
        except (TypeError, ValueError) as exc:
            raise LocalProtocolError(f"cannot send {event!r}: {exc}") from None
        try:
            parsed = self._checker.parse(wire)
        except RemoteProtocolError as exc:
            raise LocalProtocolError(f"{event!r} does not fit the grammar: {exc}") from None
        if parsed != event:
            raise LocalProtocolError(f"{event!r} would be read as {parsed!r}")
        if type(event) is Bdat:
            self._chunk, self._chunk_left = event, event.size
            if not self._chunk_left:
                self._finish_chunk()
        else:
            self._pending.append(event)
        return wire

    def _check_may_send(self, event: Event) -> None:
        state = self.session.state
        if state is State.CONNECTED or state is State.CLOSED:
            raise LocalProtocolError(f"cannot send {type(event).__name__} in state {state.value}")
        if isinstance(event, Reply):
            raise LocalProtocolError("a client sends commands, not replies")
        if self._stuffer is not None or self._chunk is not None:
            raise LocalProtocolError("finish the message text first")
        if self._pending and isinstance(self._pending[-1], _BLOCKING):
            raise LocalProtocolError(f"wait for the reply to {type(self._pending[-1]).__name__}")
        if state is State.AUTH or state is State.STARTTLS:
            raise LocalProtocolError(f"no commands in state {state.value}")
