"""``POP3Connection``: one sans-IO POP3 endpoint, in either role (DESIGN.md §2).

    conn = POP3Connection(role=Role.SERVER, limits=POP3Limits())
    conn.receive_data(data)        # b"" means the peer closed
    event = conn.next_event()      # an Event, or NEED_DATA
    data = conn.send(event)        # bytes to write

Server: ``send`` the greeting first, then loop on ``next_event``; answer each
command with ``Ok``/``Err`` (plus the listing parts or ``MessageData`` chunks
and ``MultilineEnd`` after ``+OK`` to a multi-line command), or with
``AuthChallenge`` during AUTH. On ``RemoteProtocolError`` write ``exc.reply``
and go on. After ``+OK`` to STLS, do the handshake, then ``start_tls()``.

Client: read the greeting, ``send`` commands (pipelining allowed), and read
one response per command; multi-line bodies arrive as parts up to
``MultilineEnd``.
"""

from __future__ import annotations

from harness.protocols.common.errors import LocalProtocolError
from harness.protocols.common.roles import NeedData, Role
from harness.protocols.pop3.client import ClientCore
from harness.protocols.pop3.events import AuthLine, Command, Event
from harness.protocols.pop3.limits import POP3Limits
from harness.protocols.pop3.server import ServerCore
from harness.protocols.pop3.state import Session, State


class POP3Connection:
    """A POP3 session's protocol state for one role; no I/O."""

    def __init__(
        self,
        role: Role,
        limits: POP3Limits | None = None,
        *,
        tls: bool = False,
        enforce_states: bool = True,
    ) -> None:
        """``tls``: the stream is already TLS (port 995). ``enforce_states``: client only."""
        self.role = role
        self.limits = limits or POP3Limits()
        self._core: ServerCore | ClientCore
        if role is Role.SERVER:
            if not enforce_states:
                raise LocalProtocolError("a server core always enforces the state table")
            self._core = ServerCore(self.limits, tls=tls)
        else:
            self._core = ClientCore(self.limits, tls=tls, enforce_states=enforce_states)

    def receive_data(self, data: bytes) -> None:
        """Feed octets from the peer; b"" means it closed its side."""
        self._core.receive_data(data)

    def next_event(self) -> Event | NeedData:
        """The next event, or NEED_DATA. RemoteProtocolError if the peer broke the rules."""
        return self._core.next_event()

    def send(self, event: Event) -> bytes:
        """The octets for ``event``. LocalProtocolError if it is not allowed now."""
        return self._core.send(event)

    def start_tls(self) -> None:
        """The TLS handshake after +OK to STLS is complete."""
        self._core.start_tls()

    @property
    def state(self) -> State:
        return self._core.state

    @property
    def session(self) -> Session:
        """State, TLS, UTF8 and USER-accepted flags (read them; do not change them)."""
        return self._core.session

    @property
    def stls_injected_octets(self) -> int:
        """Octets discarded between +OK to STLS and ``start_tls()`` (injection attempts)."""
        return self._core.stls.injected_octets

    @property
    def stls_evidence(self) -> bytes:
        """The first of those octets, for reports."""
        return self._core.stls.evidence

    @property
    def awaiting_reply(self) -> Command | AuthLine | None:
        """Server: the event yielded and not yet answered."""
        return self._core.awaiting if isinstance(self._core, ServerCore) else None

    @property
    def in_flight(self) -> tuple[Command, ...]:
        """Client: commands sent and not yet fully answered, oldest first."""
        return tuple(self._core.in_flight) if isinstance(self._core, ClientCore) else ()

    @property
    def body_saw_bare_newlines(self) -> bool:
        """Client: the last RETR/TOP body held a bare CR or LF."""
        core = self._core
        return isinstance(core, ClientCore) and (core.body_saw_bare_cr or core.body_saw_bare_lf)
