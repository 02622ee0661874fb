"""The server half of the SMTP core: command lines in, replies out.

The application drives it strictly in turn: ``next_event()`` yields one
command, and the next one is not yielded until ``send(Reply)`` has answered
it, so every state change happens exactly when the reply is sent. Pipelined
commands (RFC 2920) simply wait in the buffer. The core answers by itself
(``RemoteProtocolError.reply``) whatever the grammar or the sequence rules
refuse; the application answers everything else.
"""

from __future__ import annotations

from harness.protocols.common import (
    NEED_DATA,
    LineBuffer,
    LineTooLong,
    LocalProtocolError,
    NeedData,
    RemoteProtocolError,
    Role,
)
from harness.protocols.smtp import replies as R
from harness.protocols.smtp.commands import CommandParser
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
    Reply,
)
from harness.protocols.smtp.limits import SMTPLimits, SMTPPolicy
from harness.protocols.smtp.phases import AuthPhase, BdatPhase, DataPhase
from harness.protocols.smtp.replies import check_reply, format_reply
from harness.protocols.smtp.state import CHECKS, State, accepts, accepts_before_tls, refusal

_Phase = DataPhase | BdatPhase | AuthPhase
_THREE_XX = {Data: 354, Auth: 334, AuthLine: 334}  # RFC 5321 §4.3.2, RFC 4954 §4
_COMMAND_STATES = frozenset(
    {
        State.GREETED,
        State.REFUSED,
        State.READY,
        State.MAIL,
        State.RCPT,
        State.CHUNKING,
        State.CHUNK_FAILED,
    }
)
_PHASE_STATES = frozenset({State.DATA, State.AUTH, State.STARTTLS})
_PHASE_EVENTS = frozenset({AuthLine, ChunkEnd})  # their replies need a closer look
_REPLY_CACHE_SIZE = 64


class ServerConnection(SMTPConnection, role=Role.SERVER):
    """SMTP in the server role."""

    def __init__(
        self, role: Role, limits: SMTPLimits | None = None, policy: SMTPPolicy | None = None
    ) -> None:
        super().__init__(role, limits, policy)
        policy = self.session.policy
        self._accepts_tls = accepts(policy)
        self._accepts_plain = accepts_before_tls(self._accepts_tls)
        self._accepts = self._accepts_tls
        self._parser = CommandParser(self.limits, policy)
        self._strict = policy.strict_extensions
        self._parser.advertised = self.session.extensions if self._strict else None
        self._lines = LineBuffer(self.limits.max_line)
        self._pending: Event | None = None
        self._phase: _Phase | None = None
        self._peer_closed = False
        self._bdat_octets = 0  # accepted BDAT octets in this transaction
        self._wire: dict[int, tuple[Reply, bytes]] = {}  # id(reply) -> its bytes

    @property
    def awaiting_reply(self) -> Event | None:
        return self._pending

    @property
    def buffered(self) -> int:
        return len(self._lines)

    def receive_data(self, data: bytes) -> None:
        state = self.session.state
        if state is State.STARTTLS:
            self._record_injection(data)
        elif state is State.CLOSED:
            return
        elif not data:
            self._peer_closed = True
        elif self._peer_closed:
            raise LocalProtocolError("receive_data() after the peer closed")
        else:
            self._lines.feed(data)

    # -- reading -----------------------------------------------------------

    def next_event(self) -> Event | NeedData:
        """The next command, phase event or NEED_DATA; never past an unanswered one."""
        if self._pending is not None:
            raise LocalProtocolError(f"send the reply to {self._pending!r} first")
        if self._phase is None and self.session.state in _COMMAND_STATES:
            event = self._next_command()
            if event is not None:
                return event
        else:
            event = self._next_other()
        if event is None:
            if self._peer_closed:
                self.session.state = State.CLOSED
                return ConnectionClosed()
            return NEED_DATA
        return event

    def _next_other(self) -> Event | None:
        state = self.session.state
        if state is State.CLOSED:
            return ConnectionClosed()
        if state is State.CONNECTED:
            raise LocalProtocolError("send the greeting first")
        if state is State.STARTTLS:
            raise LocalProtocolError("220 sent to STARTTLS: call start_tls() after the handshake")
        return self._run_phase()

    def _next_command(self) -> Event | None:
        try:
            line = self._lines.next_line()
        except LineTooLong:
            raise RemoteProtocolError("command line too long", reply=R.LINE_TOO_LONG) from None
        if line is None:
            return None
        event = self._parser.parse(line)
        session = self.session
        kind = type(event)
        if kind in self._accepts[session.state]:
            check = CHECKS.get(kind)
            if check is None:  # plain commands (NOOP, RSET, QUIT...)
                self._pending = event
                return event
            refused = check(session, event)
        else:
            refused = refusal(session, event, self._accepts[session.state])
        if isinstance(event, Bdat):
            return self._start_bdat(event, refused)
        if refused is not None:
            raise RemoteProtocolError(f"{type(event).__name__} refused", reply=refused)
        self._pending = event
        return event

    def _start_bdat(self, event: Bdat, refused: bytes | None) -> Event | None:
        """BDAT's octets are read whatever the verdict; a refusal comes after them."""
        limit = self.session.size_limit
        too_large = limit is not None and self._bdat_octets + event.size > limit
        self._phase = BdatPhase(event, refused, too_large and refused is None)
        return event if refused is None else self._run_phase()

    def _run_phase(self) -> Event | None:
        phase = self._phase
        assert phase is not None
        try:
            event = phase.next_event(self._lines)
        except RemoteProtocolError as exc:
            self._phase_failed(phase, exc)
            raise
        if event is not None and not isinstance(event, (MessageData, BdatChunk)):
            self._phase = None
            self._pending = event
        return event

    def _phase_failed(self, phase: _Phase, exc: RemoteProtocolError) -> None:
        """A phase ended in a refusal: record it as the reply to what it ended."""
        self._phase = None
        assert exc.reply is not None
        failure = Reply(int(exc.reply[:3]))
        if isinstance(phase, DataPhase):
            self.session.apply(MessageEnd(), failure)
        elif isinstance(phase, AuthPhase):
            self.session.apply(AuthLine(), failure)
        elif phase.refusal is None:
            self.session.apply(ChunkEnd(phase.command.size, phase.command.last), failure)
        self._after_state_change()

    # -- answering ---------------------------------------------------------

    def send(self, event: Event) -> bytes:
        """The bytes of a reply; answers the pending event (or is the greeting, or 421)."""
        if type(event) is not Reply:
            raise LocalProtocolError(f"a server sends replies, not {type(event).__name__}")
        cached = self._wire.get(id(event))
        wire = cached[1] if cached is not None and cached[0] is event else self._format(event)
        pending = self._pending
        code = event.code
        if pending is not None and code != 421:
            if 300 <= code < 400 or type(pending) in _PHASE_EVENTS:
                self._check_answer(pending, code)
            self._pending = None
            session = self.session
            before = session.state
            session.apply(pending, event)
            state = session.state
            if (
                state is not before
                or state in _PHASE_STATES
                or session.extensions is not self._parser.advertised
            ):
                self._after_state_change()  # (AUTH -> 334 -> AUTH needs a new phase too)
        elif self.session.state is State.CONNECTED:
            self.session.greeted(event.code)
            self._choose_table()  # the application has said by now whether TLS is up
        elif event.code == 421:  # §3.8: may be sent at any time, then close
            self.session.state = State.CLOSED
            self._pending = None
        else:
            raise LocalProtocolError("no command is waiting for a reply")
        return wire

    def _format(self, event: Reply) -> bytes:
        try:
            check_reply(event)
        except ValueError as exc:
            raise LocalProtocolError(str(exc)) from None
        wire = format_reply(event)
        if len(self._wire) >= _REPLY_CACHE_SIZE:
            self._wire.clear()
        self._wire[id(event)] = (event, wire)
        return wire

    def _check_answer(self, pending: Event, code: int) -> None:
        kind = type(pending)
        if 300 <= code < 400 and _THREE_XX.get(kind) != code:
            raise LocalProtocolError(f"{code} is not a reply to {kind.__name__}")
        if isinstance(pending, AuthLine) and pending.cancelled and code != 501:
            raise LocalProtocolError("RFC 4954 section 4: a cancelled AUTH MUST get 501")
        if isinstance(pending, ChunkEnd) and code < 300:
            self._bdat_octets += pending.size

    def _after_state_change(self) -> None:
        session = self.session
        state = session.state
        if state in _PHASE_STATES:
            self._enter_phase(state)
        elif state is State.READY or state is State.GREETED:
            self._bdat_octets = 0
        if self._strict:
            self._parser.advertised = session.extensions

    def _enter_phase(self, state: State) -> None:
        session = self.session
        if state is State.DATA:
            self._phase = DataPhase(self.limits, session.policy, session.size_limit)
        elif state is State.AUTH:
            self._phase = AuthPhase(self._parser, self.limits.max_auth_line)
        else:
            self._record_injection(bytes(self._lines.buffer))
            self._lines = LineBuffer(self.limits.max_line)

    def _choose_table(self) -> None:
        """RFC 3207 §4: the cut-down table while TLS is required and not yet up.

        Chosen once per (re)start of the session, so the hot path pays nothing.
        """
        session = self.session
        required = session.policy.starttls_required and not session.tls_active
        self._accepts = self._accepts_plain if required else self._accepts_tls

    # -- STARTTLS ----------------------------------------------------------

    def start_tls(self) -> None:
        if self.session.state is not State.STARTTLS:
            raise LocalProtocolError("start_tls() is only valid after 220 to STARTTLS")
        self.session.restart_after_tls()
        self._lines = LineBuffer(self.limits.max_line)
        self._choose_table()
        self._after_state_change()
