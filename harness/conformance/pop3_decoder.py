"""POP3 responses for the runner, framed by the POP3 client core.

Whether ``+OK`` starts a multi-line response depends on the command it
answers (RFC 1939 §3; catalogue §7 item 12: ``LIST`` is multi-line,
``LIST 2`` is not, ``-ERR`` never is). So the decoder parses every line the
script sends with the core's own command grammar and hands the command to the
core, which then frames the server's bytes exactly as a client must.

The core is fed one line at a time, so the bytes of each response are known
exactly (a Response is the status line, the body as sent, dot-stuffing and
the ``.`` line included). Lines the grammar refuses (the probes scripts
exist for) are registered as a single-line command: a server answers them
with one status line, and the placeholder expects exactly that.
"""

from __future__ import annotations

from harness.conformance.decoders import RawLines, _QueueingDecoder
from harness.protocols.common import NEED_DATA, LocalProtocolError, RemoteProtocolError, Role
from harness.protocols.pop3 import (
    AuthChallenge,
    ConnectionClosed,
    MultilineEnd,
    MultilinePart,
    Noop,
    Ok,
    POP3Connection,
    State,
    Stls,
)
from harness.protocols.pop3.commands import parse_auth_line, parse_command
from harness.protocols.pop3.events import Command, Event
from harness.protocols.pop3.state import multiline_body


class POP3Decoder(_QueueingDecoder):
    """One Response per status line, multi-line response or SASL challenge."""

    def __init__(self, *, tls: bool) -> None:
        super().__init__()
        self._core = POP3Connection(Role.CLIENT, tls=tls, enforce_states=False)
        self._lines = RawLines()
        self._sent = RawLines()  # a C-: line may arrive in pieces
        self._current = bytearray()
        self._problem: str | None = None
        self._in_body = False
        self._auth_turn = False  # the last response was a challenge: an AUTH line is next
        self._broken: str | None = None  # a fatal framing error: nothing can be framed now
        self._stls_accepted = False  # +OK to STLS read, the handshake not done yet

    @property
    def buffered(self) -> bytes:
        evidence = self._core.stls_evidence if self._stls_accepted else b""
        return bytes(self._current) + self._lines.pending + evidence

    # --- what the script sent --------------------------------------------------

    def note_sent(self, data: bytes) -> None:
        self._sent.feed(data)
        while (line := self._sent.next_line()) is not None:
            self._register(line.removesuffix(b"\n").removesuffix(b"\r"))

    def _register(self, text: bytes) -> None:
        if self._auth_turn:
            # An AUTH line does not start a command: the AUTH is still in flight.
            self._auth_turn = False
            try:
                self._core.send(parse_auth_line(text))
            except (ValueError, LocalProtocolError):
                pass  # the server answers the AUTH with -ERR; the core expects that
            return
        try:
            command: Command = parse_command(text, utf8=self._core.session.utf8)
        except ValueError:
            command = Noop()  # refused by the grammar: one status line comes back
        for candidate in (command, Noop()):
            try:
                self._core.send(candidate)
                return
            except LocalProtocolError:
                continue  # e.g. pipelined after STLS: no response is due to it

    # --- what the server sent ----------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        if not data:
            self._closed = True
            self._core.receive_data(b"")
            self._drain()
            if self._current:
                self._finish(self._problem, complete=False)
            return
        self._lines.feed(data)
        while (line := self._lines.next_line()) is not None:
            self._add_line(line)

    def _add_line(self, line: bytes) -> None:
        if self._broken is not None:
            self._emit(line, f"framing lost earlier: {self._broken}")
            return
        if not line.endswith(b"\n"):
            self._current += line
            self._finish("a line longer than the decoder accepts", broken=True)
            return
        if not self._stls_accepted:  # after +OK to STLS the core keeps it as evidence
            self._current += line
        self._core.receive_data(line)
        self._drain()

    def _drain(self) -> None:
        # Bounded: each event consumes input the core already holds.
        while True:
            greeting = self._core.state is State.GREETING
            in_flight = self._core.in_flight
            try:
                event = self._core.next_event()
            except RemoteProtocolError as error:
                if self._on_error(error):
                    return
                continue
            if event is NEED_DATA or isinstance(event, ConnectionClosed):
                return
            assert isinstance(event, Event)
            self._on_event(event, None if greeting or not in_flight else in_flight[0])

    def _on_error(self, error: RemoteProtocolError) -> bool:
        """Record the core's complaint; True when nothing more can be read now."""
        self._problem = self._problem or str(error)
        if error.fatal:
            self._finish(self._problem, complete=not self._closed, broken=True)
            return True
        if not self._in_body:
            self._finish(self._problem)  # the offending line was a whole response
        return False

    def _on_event(self, event: Event, command: Command | None) -> None:
        if isinstance(event, MultilineEnd):
            self._in_body = False
        elif isinstance(event, MultilinePart):
            return
        elif isinstance(event, AuthChallenge):
            self._auth_turn = True
        elif isinstance(event, Ok) and command is not None:
            if multiline_body(command) is not None:
                self._in_body = True
                return
            self._stls_accepted = isinstance(command, Stls)
        self._finish(self._problem)

    def _finish(self, problem: str | None, *, complete: bool = True, broken: bool = False) -> None:
        raw = bytes(self._current)
        self._current.clear()
        self._problem = None
        self._in_body = False
        if broken:
            self._broken = problem
        if raw:
            self._emit(raw, problem, complete)

    def start_tls(self) -> None:
        try:
            self._core.start_tls()
        except LocalProtocolError:
            pass  # no +OK to STLS was read; the script's expectations said so already
        self._stls_accepted = False
        self._lines = RawLines()
        self._current.clear()
