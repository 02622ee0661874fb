"""``IMAPConnection``: the sans-IO IMAP core, in either role (DESIGN.md §2).

    conn = IMAPConnection(role=Role.SERVER, limits=IMAPLimits())
    conn.receive_data(data)        # b"" means the peer closed
    event = conn.next_event()      # an Event, or NEED_DATA
    data = conn.send(event)        # bytes to write

Server role: ``next_event`` yields commands (judged against the state table
in the state the earlier commands left, so answer each before asking for the
next), ``LiteralRequest`` for a synchronising literal (then NEED_DATA until
it is answered: ``Continuation`` accepts, a tagged NO/BAD refuses), inside IDLE and
AUTHENTICATE the client's ``IdleDone`` / ``AuthenticationData`` /
``AuthenticationCancel``. ``send`` takes responses.

Client role: ``send`` takes commands and returns what may go out now; a
command with a synchronising literal stops after its ``{n}``, and once the
server's "+" arrives (``next_event`` yields ``Continuation``)
``continue_literal()`` gives the next part. A refusal (tagged NO/BAD instead
of "+") drops the rest: the octets are never sent. ``next_event`` yields
responses in any order; untagged data may arrive at any time.
"""

from __future__ import annotations

import re

from harness.protocols.common import (
    NEED_DATA,
    LocalProtocolError,
    NeedData,
    RemoteProtocolError,
    Role,
)
from harness.protocols.imap.cmd_auth import IdleDone
from harness.protocols.imap.cmd_nonauth import (
    AuthenticationCancel,
    AuthenticationData,
    decode_base64,
    write_sasl_line,
)
from harness.protocols.imap.codec import (
    RESPONSE_TYPES,
    decode_command,
    decode_response,
    encode_command,
    encode_response,
)
from harness.protocols.imap.command import Command, CommandSyntaxError
from harness.protocols.imap.events import ConnectionClosed, Event, LiteralRequest
from harness.protocols.imap.fetch_response import FetchResponse
from harness.protocols.imap.framing import (
    FramedUnit,
    Framer,
    FramingError,
    IMAPLimits,
    LiteralMarker,
    tag_of,
)
from harness.protocols.imap.lexer import ParseError
from harness.protocols.imap.phases import (
    AuthenticatePhase,
    IdlePhase,
    LiteralWait,
    Phase,
    StartTlsPhase,
    Step,
)
from harness.protocols.imap.resp_data import CapabilityResponse, EnabledResponse
from harness.protocols.imap.resp_status import (
    AuthenticateChallenge,
    Continuation,
    ResponseCode,
    TaggedResponse,
    UntaggedStatus,
)
from harness.protocols.imap.state import (
    PHASE_COMMANDS,
    UNTAGGED_TRANSITIONS,
    State,
    after_completion,
    allowed,
)
from harness.protocols.imap.writer import NONSYNC_UNLIMITED

_PHASES: dict[str, type[Phase]] = {
    "IDLE": IdlePhase,
    "AUTHENTICATE": AuthenticatePhase,
    "STARTTLS": StartTlsPhase,
}
_CLIENT_LINES = (IdleDone, AuthenticationData, AuthenticationCancel)
_COMMAND_NAME_RE = re.compile(rb"(?:UID )?([A-Za-z]+)", re.I)


class IMAPConnection:
    """One IMAP connection's protocol state, bytes in and out, no I/O."""

    def __init__(self, role: Role, limits: IMAPLimits | None = None) -> None:
        self.role = role
        server = role is Role.SERVER
        self.limits = limits or (IMAPLimits() if server else IMAPLimits.for_client())
        self.state = State.NOT_AUTHENTICATED
        self.capabilities: frozenset[str] = frozenset()  # upper-cased, last advertised
        self.enabled: frozenset[str] = frozenset()  # upper-cased, from ENABLED
        self.tls_active = False
        self.injected = b""  # octets that followed STARTTLS's OK (first max_line kept)
        self.injected_octets = 0
        self.pending: dict[str, str] = {}  # tag -> command name, until its tagged reply
        self._phase: Phase | None = None
        self._literal_tag: str | None = None
        self._closed = False
        self._framer = self._new_framer()

    def _new_framer(self) -> Framer:
        server = self.role is Role.SERVER
        return Framer(self.limits, decide_sync_literals=server, allow_nonsync=server)

    @property
    def utf8(self) -> bool:
        """UTF-8 allowed in quoted strings (RFC 6855 §3, RFC 9051)."""
        return "UTF8=ACCEPT" in self.enabled or "IMAP4REV2" in self.enabled

    @property
    def phase(self) -> Phase | None:
        """The sub-dialogue in progress (IDLE, AUTHENTICATE, STARTTLS, literal)."""
        return self._phase

    @property
    def awaiting_continuation(self) -> bool:
        """Client role: a command is stopped before a literal, waiting for "+"."""
        return isinstance(self._phase, LiteralWait) and not self._phase.ready

    # -- bytes in ------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        if not data:
            self._closed = True
            self._framer.peer_closed = True
        elif self._tls_pending():
            self._record_injection(data)
        elif not (self.role is Role.SERVER and self.state is State.LOGOUT):
            self._framer.feed(data)

    def next_event(self) -> Event | NeedData:
        try:
            if self.role is Role.SERVER:
                return self._next_command_event()
            return self._next_response_event()
        except FramingError as exc:
            raise self._remote_error(
                exc.message, exc.tag, exc.code, exc.fatal, exc.status
            ) from None

    # -- bytes out -------------------------------------------------------------

    def send(self, event: Event) -> bytes:
        try:
            if self.role is Role.SERVER:
                return self._send_response(event)
            return self._send_from_client(event)
        except ValueError as exc:
            raise LocalProtocolError(f"cannot serialise {type(event).__name__}: {exc}") from None

    def continue_literal(self) -> bytes:
        """Client role: the next part of a command, once the server sent "+"."""
        phase = self._phase
        if not isinstance(phase, LiteralWait) or not phase.ready:
            raise LocalProtocolError("no continuation has been granted for a literal")
        segment = phase.next_segment()
        if not phase.segments:
            self._phase = None
        return segment

    def start_tls(self) -> None:
        """Call once TLS is up after STARTTLS's OK: framing restarts from scratch."""
        if not self._tls_pending():
            raise LocalProtocolError("start_tls() without a STARTTLS that got OK")
        self._phase = None
        self.tls_active = True
        self.capabilities = frozenset()  # RFC 9051 §6.2.1: capabilities must be re-read
        self._framer = self._new_framer()

    # -- server role -------------------------------------------------------------

    def _next_command_event(self) -> Event | NeedData:
        if self.state is State.LOGOUT or self._tls_pending():
            return ConnectionClosed() if self._closed else NEED_DATA
        if self._framer.pending is not None:  # awaiting Continuation or a tagged NO/BAD
            return ConnectionClosed() if self._closed else NEED_DATA
        phase = self._phase
        if phase is not None and phase.blocks_new_commands:
            if not phase.awaiting_client_line:
                return ConnectionClosed() if self._closed else NEED_DATA
            return self._read_client_line(phase)
        unit = self._framer.next_unit()
        if unit is None:
            return ConnectionClosed() if self._closed and self._framer.idle else NEED_DATA
        if isinstance(unit, FramedUnit):
            return self._accept_command(unit)
        return self._literal_request(unit)

    def _literal_request(self, marker: LiteralMarker) -> LiteralRequest:
        """A synchronising literal: ask the application, unless the command is doomed."""
        head = self._framer.unit_head()
        tag = tag_of(head)
        match = _COMMAND_NAME_RE.match(head, len(tag) + 1) if tag else None
        name = match[1].decode("ascii").upper() if match else ""
        if tag is None or not allowed(name, self.state):
            self._framer.refuse_literal()
            raise self._remote_error(f"{name or 'command'} is not valid in this state", tag)
        self._literal_tag = tag
        return LiteralRequest(tag, marker.size, marker.binary, name)

    def _read_client_line(self, phase: Phase) -> Event | NeedData:
        try:
            line = self._framer.next_raw_line()
        except FramingError as exc:  # an over-long DONE or SASL line ends the command
            if exc.fatal:
                raise
            raise self._remote_error(exc.message, phase.tag) from None
        if line is None:
            return ConnectionClosed() if self._closed and self._framer.idle else NEED_DATA
        try:
            return phase.client_line(line)
        except ParseError as exc:
            raise self._remote_error(str(exc), phase.tag) from None

    def _accept_command(self, unit: FramedUnit) -> Command:
        try:
            command = decode_command(unit, self.limits, utf8=self.utf8)
        except CommandSyntaxError as exc:
            raise self._remote_error(exc.message, exc.tag) from None
        name = command.name
        if not allowed(name, self.state) or (name == "STARTTLS" and self.tls_active):
            raise self._remote_error(
                f"{name} is not valid in the {self.state.value} state", command.tag
            )
        self.pending[command.tag] = name
        if name in PHASE_COMMANDS:
            self._phase = _PHASES[name](command.tag)
        return command

    def _send_response(self, event: Event) -> bytes:
        if not isinstance(event, RESPONSE_TYPES):
            raise LocalProtocolError(f"a server sends responses, not {type(event).__name__}")
        if isinstance(event, Continuation | AuthenticateChallenge):
            self._grant_continuation(event)
        elif isinstance(event, TaggedResponse):
            if self._framer.pending is not None and event.tag == self._literal_tag:
                self._framer.refuse_literal()
            self._complete(event.tag, event.status)
        else:
            self._note_untagged(event)
        return encode_response(event, utf8=self.utf8)

    def _grant_continuation(self, event: Continuation | AuthenticateChallenge) -> None:
        if self._framer.pending is not None and isinstance(event, Continuation):
            self._framer.accept_literal()
            return
        phase = self._phase
        if isinstance(event, AuthenticateChallenge) and not isinstance(phase, AuthenticatePhase):
            raise LocalProtocolError("a SASL challenge outside AUTHENTICATE")
        if phase is None or not phase.continued():
            raise LocalProtocolError("no command is waiting for a continuation")

    # -- client role -------------------------------------------------------------

    def _next_response_event(self) -> Event | NeedData:
        if self._tls_pending():
            return NEED_DATA
        unit = self._framer.next_unit()
        if unit is None:
            return ConnectionClosed() if self._closed and self._framer.idle else NEED_DATA
        assert isinstance(unit, FramedUnit)  # a client never decides on literals
        try:
            event = decode_response(unit, self.limits)
        except ParseError as exc:
            raise RemoteProtocolError(f"bad response: {exc}") from None
        return self._absorb_response(event)

    def _absorb_response(self, event: Event) -> Event:
        if type(event) is FetchResponse:  # the hot path: nothing to track
            return event
        if isinstance(event, Continuation):
            phase = self._phase
            if phase is not None and phase.continued() and isinstance(phase, AuthenticatePhase):
                try:
                    return AuthenticateChallenge(decode_base64(event.text.encode()))
                except ParseError as exc:
                    raise RemoteProtocolError(f"bad SASL challenge: {exc}") from None
        elif isinstance(event, TaggedResponse):
            self._note_code(event.code)
            self._complete(event.tag, event.status)
        else:
            self._note_untagged(event)
        return event

    def _send_from_client(self, event: Event) -> bytes:
        if isinstance(event, Command):
            return self._send_command(event)
        if not isinstance(event, _CLIENT_LINES):
            raise LocalProtocolError(f"a client sends commands, not {type(event).__name__}")
        phase = self._phase
        if isinstance(event, IdleDone):
            if not isinstance(phase, IdlePhase) or phase.step is not Step.CLIENT_TURN:
                raise LocalProtocolError("DONE before the server's '+' to IDLE")
            phase.step = Step.WINDING_UP
            return b"DONE\r\n"
        if not isinstance(phase, AuthenticatePhase) or phase.step is not Step.CLIENT_TURN:
            raise LocalProtocolError("a SASL response without a challenge")
        phase.step = Step.SERVER_TURN
        return write_sasl_line(event)

    def _send_command(self, command: Command) -> bytes:
        phase = self._phase
        if phase is not None and phase.blocks_new_commands:
            raise LocalProtocolError(
                f"finish the command {phase.tag} first ({type(phase).__name__})"
            )
        if command.tag in self.pending:
            raise LocalProtocolError(f"tag {command.tag!r} is still in use")
        segments = encode_command(command, nonsync_max=self._nonsync_max(), utf8=self.utf8)
        self.pending[command.tag] = command.name
        if len(segments) > 1:
            self._phase = LiteralWait(command.tag, segments[1:])
        elif command.name in PHASE_COMMANDS:
            self._phase = _PHASES[command.name](command.tag)
        return segments[0]

    def _nonsync_max(self) -> int:
        """RFC 7888: LITERAL+ allows any size, LITERAL- (and IMAP4rev2) 4096."""
        caps = self.capabilities
        if "LITERAL+" in caps:
            return NONSYNC_UNLIMITED
        return 4096 if "LITERAL-" in caps or "IMAP4REV2" in caps else 0

    # -- both roles ----------------------------------------------------------------

    def _complete(self, tag: str, status: str) -> None:
        """A tagged reply for ``tag`` was sent (server) or read (client)."""
        name = self.pending.pop(tag, None)
        phase = self._phase
        if phase is not None and phase.tag == tag:
            if isinstance(phase, StartTlsPhase) and status == "OK":
                phase.step = Step.WINDING_UP
                self._record_injection(self._framer.drain())
            else:
                self._phase = None
        if name is not None:
            self.state = after_completion(name, status, self.state)

    def _note_untagged(self, event: Event) -> None:
        if isinstance(event, UntaggedStatus):
            self._note_code(event.code)
            self.state = UNTAGGED_TRANSITIONS.get(event.status, self.state)
        elif isinstance(event, CapabilityResponse):
            self.capabilities = frozenset(c.upper() for c in event.capabilities)
        elif isinstance(event, EnabledResponse):
            self.enabled |= frozenset(c.upper() for c in event.capabilities)

    def _note_code(self, code: ResponseCode | None) -> None:
        if code is not None and code.name == "CAPABILITY" and isinstance(code.value, tuple):
            self.capabilities = frozenset(str(c).upper() for c in code.value)

    def _tls_pending(self) -> bool:
        phase = self._phase
        return isinstance(phase, StartTlsPhase) and phase.step is Step.WINDING_UP

    def _record_injection(self, data: bytes) -> None:
        """RFC 9051 §6.2.1 / NO STARTTLS: octets after STARTTLS's OK are dropped."""
        self.injected_octets += len(data)
        room = self.limits.max_line - len(self.injected)
        if room > 0:
            self.injected += data[:room]

    def _remote_error(
        self,
        message: str,
        tag: str | None,
        code: str | None = None,
        fatal: bool = False,
        status: str = "BAD",
    ) -> RemoteProtocolError:
        """The peer's fault; a server core adds the reply (tagged when it can)."""
        if self.role is Role.CLIENT:
            return RemoteProtocolError(f"bad response: {message}", fatal=fatal)
        if tag is not None:
            self._complete(tag, status)
        label = f"[{code}] " if code else ""
        start = f"{tag} {status}" if tag is not None else "* BAD"
        reply = f"{start} {label}{message}\r\n".encode("ascii", "replace")
        return RemoteProtocolError(message, reply=reply, fatal=fatal)
