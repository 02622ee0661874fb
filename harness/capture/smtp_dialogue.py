"""A captured SMTP conversation, decoded by both roles of the SMTP core.

The server-role core is set up as a lenient observer: it keeps message text
with bare CR/LF (and reports them on ``MessageEnd``), does not insist on
HELO or on advertised extensions, and has no size limit, so its state
follows what the real server did; what it still refuses is a violation by
the client. The client-role core reads replies strictly: a malformed reply,
a bare LF, a 3xx that answers nothing, are the server's.
"""

from __future__ import annotations

from harness.capture.dialogue import DecodingLost, Dialogue
from harness.protocols.common import NEED_DATA, RemoteProtocolError, Role
from harness.protocols.smtp import (
    ClientConnection,
    ConnectionClosed,
    Event,
    MessageData,
    MessageEnd,
    Noop,
    Reply,
    ServerConnection,
    SMTPLimits,
    SMTPPolicy,
    State,
)
from harness.transcript import Direction

OBSERVER_POLICY = SMTPPolicy(
    bare_newlines="keep",
    require_helo=False,
    strict_extensions=False,
    long_text_lines="keep",
)
OBSERVER_LIMITS = SMTPLimits(max_message_size=None, max_recipients=1_000_000)
_NOT_READING = frozenset({State.CONNECTED, State.STARTTLS, State.CLOSED})


class SMTPDialogue(Dialogue):
    protocol = "smtp"

    def __init__(self) -> None:
        super().__init__()
        server = ServerConnection(Role.SERVER, OBSERVER_LIMITS, OBSERVER_POLICY)
        client = ClientConnection(Role.CLIENT, OBSERVER_LIMITS)
        self.server_core, self.client_core = server, client
        self._stand_ins: set[int] = set()  # ids of Noops standing in for refused commands

    def _client_bytes(self, data: bytes) -> None:
        self.server_core.receive_data(data)

    def _server_bytes(self, data: bytes) -> None:
        self.client_core.receive_data(data)

    def _next_command(self) -> bool:
        server = self.server_core
        if server.awaiting_reply is not None or server.state in _NOT_READING:
            return False
        try:
            event = server.next_event()
        except RemoteProtocolError as error:
            due = error.reply.decode("ascii", "replace").strip() if error.reply else "none"
            self.violation(Direction.CLIENT, f"{error.message} (the reply due: {due})")
            if error.fatal:
                raise DecodingLost("the client's stream can no longer be framed") from None
            self._stand_in()
            return True
        if event is NEED_DATA or isinstance(event, ConnectionClosed):
            return False
        assert isinstance(event, Event)
        self._mirror_command(event)
        return True

    def _mirror_command(self, event: Event) -> None:
        if isinstance(event, MessageData):
            return  # the client core needs only the end of the text
        if isinstance(event, MessageEnd):
            self._note_message_text(event)
            self.client_core.send(MessageEnd())
            return
        self.client_core.send(event)

    def _note_message_text(self, end: MessageEnd) -> None:
        if end.bare_lf or end.bare_cr:
            which = " and ".join(
                n for n, seen in (("CR", end.bare_cr), ("LF", end.bare_lf)) if seen
            )
            self.violation(
                Direction.CLIENT,
                f"bare {which} in message text (RFC 5321 §2.3.8: MUST NOT be sent)",
            )
        if end.long_lines:
            self.violation(
                Direction.CLIENT, "message text line over 1000 octets (RFC 5321 §4.5.3.1.6)"
            )

    def _stand_in(self) -> None:
        """The real server still answers a refused command: expect that reply."""
        stand_in = Noop()
        self.client_core.send(stand_in)
        self._stand_ins.add(id(stand_in))

    def _next_response(self) -> bool:
        client = self.client_core
        if client.state is State.STARTTLS:
            return False
        pending = client.pending
        head = pending[0] if pending else None
        try:
            event = client.next_event()
        except RemoteProtocolError as error:
            self.violation(Direction.SERVER, error)
            raise DecodingLost("a reply could not be matched to its command") from None
        if event is NEED_DATA or isinstance(event, ConnectionClosed):
            return False
        if isinstance(event, Reply):
            self._mirror_reply(event, head)
        return True

    def _mirror_reply(self, reply: Reply, head: Event | None) -> None:
        if head is not None and id(head) in self._stand_ins:
            self._stand_ins.discard(id(head))
            return
        self.server_core.send(reply)
