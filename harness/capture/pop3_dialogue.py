"""A captured POP3 conversation, decoded by both roles of the POP3 core.

The client-role core must know each command to frame its response (``+OK``
to LIST, RETR, TOP, UIDL, CAPA is multi-line, ``-ERR`` never is: catalogue
§7 item 12), so every command the server-role core reads is sent on it; it
does not enforce the state table (the server-role core does that, and what
it refuses is the client's violation). A message body with bare CR or LF is
the server's violation (RFC 1939 §3: lines end in CRLF).
"""

from __future__ import annotations

from harness.capture.dialogue import DecodingLost, Dialogue
from harness.protocols.common import NEED_DATA, RemoteProtocolError, Role
from harness.protocols.pop3 import (
    AuthChallenge,
    AuthLine,
    Command,
    ConnectionClosed,
    Err,
    Event,
    MultilineEnd,
    Noop,
    Ok,
    POP3Connection,
    POP3Limits,
)
from harness.transcript import Direction

OBSERVER_LIMITS = POP3Limits(max_response_line=65536)  # long listing lines are not loss


class POP3Dialogue(Dialogue):
    protocol = "pop3"

    def __init__(self) -> None:
        super().__init__()
        self.server_core = POP3Connection(Role.SERVER)
        self.client_core = POP3Connection(Role.CLIENT, OBSERVER_LIMITS, enforce_states=False)
        self._stand_ins: set[int] = set()

    def _client_bytes(self, data: bytes) -> None:
        self.server_core.receive_data(data)

    def _server_bytes(self, data: bytes) -> None:
        self.client_core.receive_data(data)

    def _next_command(self) -> bool:
        server = self.server_core
        if server.awaiting_reply is not None:
            return False
        try:
            event = server.next_event()
        except RemoteProtocolError as error:
            self.violation(Direction.CLIENT, error)
            if error.fatal:
                raise DecodingLost("the client's stream can no longer be framed") from None
            self._stand_in()
            return True
        if event is NEED_DATA or isinstance(event, ConnectionClosed):
            return False
        assert isinstance(event, Command | AuthLine)
        self.client_core.send(event)
        return True

    def _stand_in(self) -> None:
        stand_in = Noop()
        self.client_core.send(stand_in)
        self._stand_ins.add(id(stand_in))

    def _next_response(self) -> bool:
        client = self.client_core
        in_flight = client.in_flight
        head = in_flight[0] if in_flight else None
        try:
            event = client.next_event()
        except RemoteProtocolError as error:
            self.violation(Direction.SERVER, error)
            if error.fatal:
                raise DecodingLost("the server's stream can no longer be framed") from None
            return True
        if event is NEED_DATA or isinstance(event, ConnectionClosed):
            return False
        assert isinstance(event, Event)
        self._mirror(event, head)
        return True

    def _mirror(self, event: Event, head: Command | None) -> None:
        starts_response = isinstance(event, Ok | Err | AuthChallenge)
        if starts_response and head is not None and id(head) in self._stand_ins:
            self._stand_ins.discard(id(head))
            return
        self.server_core.send(event)
        if isinstance(event, MultilineEnd) and self.client_core.body_saw_bare_newlines:
            self.violation(Direction.SERVER, "bare CR or LF in a multi-line response (RFC 1939 §3)")
