"""The client role: commands out; responses in, framed by the command in flight.

Whether a response is multi-line depends on the command it answers and its
status, never on guessing from the bytes (catalogue §7 item 12): ``+OK`` to
LIST, UIDL, CAPA, LANG (without argument), RETR and TOP is followed by lines
up to "."; ``-ERR`` and ``+OK`` to anything else are single lines. Commands
may be pipelined (RFC 2449 §6.6); responses are matched to them in order.

A server line that breaks the framing (no CRLF, over-long, not a status line)
is a fatal ``RemoteProtocolError``: what follows can no longer be framed. A
malformed listing line or challenge is a non-fatal one: framing is intact.

``enforce_states=False`` lets a test harness send commands in any state (the
server's refusals are what it tests); framing rules still hold.
"""

from __future__ import annotations

from collections import deque

from harness.protocols.common.errors import LocalProtocolError, RemoteProtocolError
from harness.protocols.common.lines import LineTooLong
from harness.protocols.common.roles import NEED_DATA, NeedData
from harness.protocols.pop3.commands import Base64Error, format_auth_line, format_command
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
    Stls,
)
from harness.protocols.pop3.limits import POP3Limits
from harness.protocols.pop3.multiline import MultilineReader
from harness.protocols.pop3.responses import (
    ResponseSyntaxError,
    is_continuation,
    parse_continuation,
    parse_status_line,
)
from harness.protocols.pop3.state import Session, State, multiline_body
from harness.protocols.pop3.text import CRLF


class ClientCore(CoreBase):
    """Encodes commands; frames and parses what the server answers."""

    def __init__(self, limits: POP3Limits, *, tls: bool, enforce_states: bool) -> None:
        super().__init__(limits, limits.max_response_line, tls=tls)
        self.enforce_states = enforce_states
        self.in_flight: deque[Command] = deque()
        self._auth_turn = False  # a challenge arrived: an AuthLine is owed
        self._reader: MultilineReader | None = None
        self._failed: RemoteProtocolError | None = None
        self.body_saw_bare_cr = False  # of the last RETR/TOP body
        self.body_saw_bare_lf = False

    # --- output ---

    def send(self, event: Event) -> bytes:
        if isinstance(event, AuthLine):
            return self._send_auth_line(event)
        if not isinstance(event, Command):
            raise LocalProtocolError(f"a client sends commands, not {event!r}")
        predicted = self._check_can_send(event)
        line = format_command(event, utf8=predicted.utf8)
        if len(line) > self.limits.max_command_line:
            raise LocalProtocolError(
                f"command over {self.limits.max_command_line} octets (RFC 2449 section 4); an AUTH "
                "initial response that does not fit goes after the empty challenge (RFC 5034 section 4)"
            )
        if isinstance(event, Auth):
            self.lines.max_line = self.limits.max_sasl_line
        self.in_flight.append(event)
        return line

    def _check_can_send(self, command: Command) -> Session:
        if self.stls.waiting:
            raise LocalProtocolError("call start_tls() after +OK to STLS")
        if self.in_flight and isinstance(self.in_flight[-1], Auth | Stls):
            raise LocalProtocolError("nothing may be pipelined after AUTH or STLS")
        predicted = self._predicted()
        if self.enforce_states:
            refusal = predicted.refusal(command)
            if refusal is not None and self.session.refusal(command) is not None:
                raise LocalProtocolError(refusal)
        return predicted

    def _predicted(self) -> Session:
        """The session as it will be if every command in flight succeeds."""
        predicted = self.session.copy()
        for command in self.in_flight:
            predicted.on_command(command)
            predicted.on_reply(command, True)
        return predicted

    def _send_auth_line(self, line: AuthLine) -> bytes:
        if not self._auth_turn:
            raise LocalProtocolError("an AuthLine answers an AUTH challenge only")
        data = format_auth_line(line)
        if len(data) > self.limits.max_sasl_line:
            raise LocalProtocolError(f"AUTH line over {self.limits.max_sasl_line} octets")
        self._auth_turn = False
        return data

    # --- input ---

    def next_event(self) -> Event | NeedData:
        if self._failed is not None:
            raise self._failed
        try:
            return self._next()
        except RemoteProtocolError as exc:
            if exc.fatal:
                self._failed = exc
            raise

    def _next(self) -> Event | NeedData:
        if self._reader is not None:
            return self._read_body(self._reader)
        line = None if self.stls.waiting else self._next_line()
        if line is None:
            return ConnectionClosed() if self.peer_closed else NEED_DATA
        if self.state is State.GREETING:
            response = self._status(line)
            self.session.greeted(isinstance(response, Ok))
            return response
        if not self.in_flight:
            raise RemoteProtocolError(f"response with no command in flight: {line[:40]!r}")
        if isinstance(self.in_flight[0], Auth) and is_continuation(line[:-2]):
            return self._challenge(line[:-2])
        return self._response(self.in_flight.popleft(), self._status(line))

    def _next_line(self) -> bytes | None:
        try:
            line = self.lines.next_line()
        except LineTooLong as exc:
            raise RemoteProtocolError(
                f"response line over {exc.limit} octets", fatal=True
            ) from None
        if line is not None and not line.endswith(CRLF):
            raise RemoteProtocolError("response lines must end with CRLF", fatal=True)
        return line

    def _status(self, line: bytes) -> Ok | Err:
        try:
            return parse_status_line(line[:-2])
        except ResponseSyntaxError as exc:
            raise RemoteProtocolError(str(exc), fatal=True) from None

    def _response(self, command: Command, response: Event) -> Event:
        positive = isinstance(response, Ok)
        self._auth_turn = False
        self.lines.max_line = self.limits.max_response_line
        self.session.on_command(command)
        self.session.on_reply(command, positive)
        body = multiline_body(command) if positive else None
        if body is not None:
            self._reader = MultilineReader(body)
        if positive and isinstance(command, Stls):
            self.begin_tls_wait()
        return response

    def _challenge(self, line: bytes) -> AuthChallenge:
        self._auth_turn = True  # even a bad challenge is answered: with "*"
        try:
            return parse_continuation(line)
        except Base64Error:
            raise RemoteProtocolError("AUTH challenge is not base64; cancel it") from None

    def _read_body(self, reader: MultilineReader) -> Event | NeedData:
        part = reader.next_part(self.lines)
        if part is NEED_DATA and self.peer_closed:
            raise RemoteProtocolError("connection closed inside a multi-line response", fatal=True)
        if isinstance(part, MultilineEnd):
            self._reader = None
            self.body_saw_bare_cr = reader.decoder.saw_bare_cr
            self.body_saw_bare_lf = reader.decoder.saw_bare_lf
        return part
