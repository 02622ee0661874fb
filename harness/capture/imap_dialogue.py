"""A captured IMAP conversation, decoded by both roles of the IMAP core.

IMAP tags its responses, so the client-role core frames and parses the
server's bytes without being told the commands; what it cannot parse is
the server's violation. The server-role core judges each command in the
state the earlier ones left, so it is given the server's decisions: "+"
(a literal accepted, IDLE or AUTHENTICATE going on), tagged completions,
untagged BYE/PREAUTH and capabilities; and it reads the next command only
once the previous ones are complete (or the client is inside IDLE or
AUTHENTICATE), as the real server judged them.
"""

from __future__ import annotations

from harness.capture.dialogue import DecodingLost, Dialogue
from harness.protocols.common import NEED_DATA, RemoteProtocolError, Role
from harness.protocols.imap import (
    CapabilityResponse,
    ConnectionClosed,
    Continuation,
    EnabledResponse,
    Event,
    IMAPConnection,
    IMAPLimits,
    LiteralRequest,
    TaggedResponse,
    UntaggedStatus,
)
from harness.transcript import Direction

# An observer is not the gatekeeper: frame whatever a real server accepted.
OBSERVER_LIMITS = IMAPLimits.for_client()
_MIRRORED = (TaggedResponse, UntaggedStatus, CapabilityResponse, EnabledResponse)


class IMAPDialogue(Dialogue):
    protocol = "imap"

    def __init__(self) -> None:
        super().__init__()
        self.server_core = IMAPConnection(Role.SERVER, OBSERVER_LIMITS)
        self.client_core = IMAPConnection(Role.CLIENT, OBSERVER_LIMITS)
        self._literal_tag: str | None = None  # a synchronising literal awaits the server

    def _client_bytes(self, data: bytes) -> None:
        self.server_core.receive_data(data)

    def _server_bytes(self, data: bytes) -> None:
        self.client_core.receive_data(data)

    def _may_read_command(self) -> bool:
        server = self.server_core
        phase = server.phase
        return not server.pending or (phase is not None and phase.awaiting_client_line)

    def _next_command(self) -> bool:
        if not self._may_read_command():
            return False
        try:
            event = self.server_core.next_event()
        except RemoteProtocolError as error:
            self.violation(Direction.CLIENT, error)
            if error.fatal:
                raise DecodingLost("the client's stream can no longer be framed") from None
            return True
        if isinstance(event, LiteralRequest):
            self._literal_tag = event.tag
        return event is not NEED_DATA and not isinstance(event, ConnectionClosed)

    def _next_response(self) -> bool:
        try:
            event = self.client_core.next_event()
        except RemoteProtocolError as error:
            self.violation(Direction.SERVER, error)
            if error.fatal:
                raise DecodingLost("the server's stream can no longer be framed") from None
            return True
        if event is NEED_DATA or isinstance(event, ConnectionClosed):
            return False
        assert isinstance(event, Event)
        if isinstance(event, Continuation):
            self._grant(event)
        elif isinstance(event, _MIRRORED):
            if isinstance(event, TaggedResponse) and event.tag == self._literal_tag:
                self._literal_tag = None  # the literal was refused
            self.server_core.send(event)
        return True

    def _grant(self, continuation: Continuation) -> None:
        phase = self.server_core.phase
        if self._literal_tag is None and (phase is None or phase.awaiting_client_line):
            self.violation(Direction.SERVER, "a continuation request no command waits for")
            return
        self._literal_tag = None
        self.server_core.send(continuation)
