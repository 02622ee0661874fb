"""What the server and client cores share: input buffering, EOF, STLS reset."""

from __future__ import annotations

from harness.protocols.common.errors import LocalProtocolError
from harness.protocols.common.lines import LineBuffer
from harness.protocols.pop3.limits import POP3Limits
from harness.protocols.pop3.state import Session, State
from harness.protocols.pop3.stls import StlsGuard


class CoreBase:
    """Bounded input, the session state, and the STLS guard."""

    def __init__(self, limits: POP3Limits, line_limit: int, *, tls: bool) -> None:
        self.limits = limits
        self.session = Session(tls=tls)
        self.stls = StlsGuard()
        self.lines = LineBuffer(line_limit)
        self.peer_closed = False

    def receive_data(self, data: bytes) -> None:
        """Feed received octets; b"" means the peer closed its side."""
        if not data:
            self.peer_closed = True
            return
        if self.peer_closed:
            raise LocalProtocolError("data received after the peer closed")
        if self.stls.waiting:
            self.stls.discard(bytes(data))  # plaintext between +OK and the handshake
            return
        self.lines.feed(data)

    def begin_tls_wait(self) -> None:
        self.stls.begin(self.lines.take(len(self.lines)))

    def start_tls(self) -> None:
        """The TLS handshake is done: read the TLS stream from a clean state."""
        if not self.stls.waiting:
            raise LocalProtocolError("start_tls() without +OK to STLS")
        self.stls.finish()
        self.lines = LineBuffer(self.lines.max_line)
        self.session.tls = True
        self.session.user_accepted = False

    @property
    def state(self) -> State:
        return self.session.state
