"""The server role: command lines in, one event at a time; replies out.

The core yields one client event and then waits: ``next_event()`` returns
NEED_DATA until the application has sent the complete reply (a status line,
or a multi-line response through ``MultilineEnd``, or an ``AuthChallenge``).
Pipelined commands (RFC 2449 §6.6) therefore come out strictly in order.

A line the grammar or the state table refuses raises ``RemoteProtocolError``
carrying ``reply=b"-ERR ...\\r\\n"``; the application writes that reply and
calls ``next_event()`` again: the session continues (RFC 1939 §3, and
POP3-UNKNOWN-ERR / POP3-WRONG-STATE in the catalogue). Nothing is awaiting a
reply after such an error.
"""

from __future__ import annotations

from harness.protocols.common.errors import LocalProtocolError, RemoteProtocolError
from harness.protocols.common.lines import LineTooLong
from harness.protocols.common.roles import NEED_DATA, NeedData
from harness.protocols.pop3.commands import (
    Base64Error,
    CommandSyntaxError,
    parse_auth_line,
    parse_command,
)
from harness.protocols.pop3.core import CoreBase
from harness.protocols.pop3.events import (
    Auth,
    AuthChallenge,
    AuthLine,
    Command,
    ConnectionClosed,
    Err,
    Event,
    MultilineEnd,
    Ok,
    Response,
    ServerEvent,
    Stls,
)
from harness.protocols.pop3.limits import POP3Limits
from harness.protocols.pop3.multiline import MultilineWriter
from harness.protocols.pop3.responses import err_reply, format_continuation, format_status
from harness.protocols.pop3.state import State, multiline_body
from harness.protocols.pop3.text import CRLF


class ServerCore(CoreBase):
    """Parses what a client sends; checks and encodes what the application answers."""

    def __init__(self, limits: POP3Limits, *, tls: bool) -> None:
        super().__init__(limits, limits.max_command_line, tls=tls)
        self.awaiting: Command | AuthLine | None = None  # yielded, not yet answered
        self._writer: MultilineWriter | None = None
        self._in_sasl = False  # a challenge went out: the next line is an AuthLine

    # --- input ---

    def next_event(self) -> Event | NeedData:
        if self.peer_closed and not self._more_input_expected():
            return ConnectionClosed()
        if self.awaiting is not None or self.state in (State.GREETING, State.CLOSED):
            return NEED_DATA
        if self.stls.waiting:
            return NEED_DATA
        line = self._next_line()
        if line is None:
            return ConnectionClosed() if self.peer_closed else NEED_DATA
        event = self._auth_line(line) if self._in_sasl else self._command(line)
        self.awaiting = event
        return event

    def _more_input_expected(self) -> bool:
        # Complete lines still buffered are processed before the close is reported.
        return self.state not in (State.GREETING, State.CLOSED) and (
            self.awaiting is not None or b"\n" in self.lines.buffer
        )

    def _next_line(self) -> bytes | None:
        try:
            line = self.lines.next_line()
        except LineTooLong as exc:
            self._leave_sasl()
            raise self._refuse(
                f"line longer than {exc.limit} octets (RFC 2449 section 4)"
            ) from None
        if line is not None and not line.endswith(CRLF):
            self._leave_sasl()
            raise self._refuse("lines must end with CRLF (RFC 1939 section 3)")
        return line

    def _command(self, line: bytes) -> Command:
        try:
            command = parse_command(line[:-2], utf8=self.session.utf8)
        except CommandSyntaxError as exc:
            self.session.user_accepted = False
            raise self._refuse(str(exc)) from None
        refusal = self.session.refusal(command)
        if refusal is not None:
            self.session.user_accepted = False
            raise self._refuse(refusal)
        self.session.on_command(command)
        return command

    def _auth_line(self, line: bytes) -> AuthLine:
        try:
            return parse_auth_line(line[:-2])
        except Base64Error:
            # RFC 5034 §4: "If the server cannot Base64 decode any client
            # response, it MUST reject the AUTH command with an -ERR reply."
            self._leave_sasl()
            raise self._refuse("AUTH response is not base64 (RFC 5034 section 4)") from None

    def _refuse(self, message: str) -> RemoteProtocolError:
        return RemoteProtocolError(message, reply=err_reply(message))

    # --- output ---

    def send(self, event: Event) -> bytes:
        if self.state is State.GREETING:
            return self._greet(event)
        if self._writer is not None:
            return self._write_part(event)
        if self.awaiting is None:
            raise LocalProtocolError(f"no command is awaiting a reply, cannot send {event!r}")
        if isinstance(event, AuthChallenge):
            return self._challenge(event)
        if isinstance(event, Ok | Err):
            return self._reply(event)
        raise LocalProtocolError(f"{event!r} is not a server reply")

    def _greet(self, event: Event) -> bytes:
        if not isinstance(event, Ok | Err):
            raise LocalProtocolError("the server speaks first: +OK greeting (RFC 1939 section 4)")
        line = format_status(event, self.limits.max_response_line)
        self.session.greeted(isinstance(event, Ok))
        return line

    def _reply(self, response: Response) -> bytes:
        command = self.awaiting
        assert command is not None
        positive = isinstance(response, Ok)
        if positive and isinstance(command, AuthLine) and command.cancelled:
            raise LocalProtocolError("a cancelled AUTH MUST get -ERR (RFC 5034 section 4)")
        line = format_status(response, self.limits.max_response_line)
        body = multiline_body(command) if positive and isinstance(command, Command) else None
        if isinstance(command, Auth | AuthLine):
            self._leave_sasl()
        self.session.on_reply(command, positive)
        if body is not None:
            self._writer = MultilineWriter(body, self.limits.max_response_line)
            return line
        self.awaiting = None
        if positive and isinstance(command, Stls):
            self.begin_tls_wait()
        return line

    def _challenge(self, challenge: AuthChallenge) -> bytes:
        command = self.awaiting
        cancelled = isinstance(command, AuthLine) and command.cancelled
        if not isinstance(command, Auth | AuthLine) or cancelled:
            raise LocalProtocolError("AuthChallenge answers AUTH or an AuthLine only")
        line = format_continuation(challenge)
        if len(line) > self.limits.max_sasl_line:
            raise LocalProtocolError(f"challenge line over {self.limits.max_sasl_line} octets")
        self._in_sasl = True
        self.lines.max_line = self.limits.max_sasl_line
        self.awaiting = None
        return line

    def _write_part(self, event: Event) -> bytes:
        writer = self._writer
        assert writer is not None
        if not isinstance(event, ServerEvent):
            raise LocalProtocolError(f"{event!r} is not part of a multi-line response")
        data = writer.write(event)
        if isinstance(event, MultilineEnd):
            self._writer = None
            self.awaiting = None
        return data

    def _leave_sasl(self) -> None:
        self._in_sasl = False
        self.lines.max_line = self.limits.max_command_line
