"""``SMTPConnection``: the one object applications hold, in either role.

    conn = SMTPConnection(role=Role.SERVER, limits=SMTPLimits(), policy=SMTPPolicy())
    conn.receive_data(data)      # b"" means the peer closed
    event = conn.next_event()    # an Event, or NEED_DATA
    data = conn.send(event)      # bytes to write

Constructing it with a role gives the role's subclass (``ServerConnection``
in server.py, ``ClientConnection`` in client.py), as ``pathlib.Path`` gives a
``PosixPath``: the hot methods are the subclass's own, with no delegation
layer, while this class holds what both roles know about the session.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from harness.protocols.common import NeedData, Role
from harness.protocols.smtp.events import ConnectionClosed, Ehlo, Event, Helo, MailFrom, Reply
from harness.protocols.smtp.limits import SMTPLimits, SMTPPolicy
from harness.protocols.smtp.state import Session, State


class SMTPConnection(abc.ABC):
    """A sans-IO SMTP connection (RFC 5321 with the common ESMTP extensions).

    Server role: ``send(Reply)`` once for the greeting, then once for every
    event that awaits a reply (every command but BDAT, ``MessageEnd``,
    ``ChunkEnd``, ``AuthLine``). A refused command raises
    ``RemoteProtocolError``: write its ``reply`` and carry on (close after it
    when ``fatal``).

    Client role: read the greeting with ``next_event()``, then ``send``
    commands (pipelining allowed) and read one ``Reply`` per command.

    Both: after the 220 to STARTTLS, run the TLS handshake, then call
    ``start_tls()``; bytes buffered before it are dropped and recorded in
    ``injected_after_starttls``.
    """

    _roles: ClassVar[dict[Role, type[SMTPConnection]]] = {}
    role: Role

    def __init_subclass__(cls, role: Role | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if role is not None:
            cls.role = role
            SMTPConnection._roles[role] = cls

    def __new__(
        cls, role: Role, limits: SMTPLimits | None = None, policy: SMTPPolicy | None = None
    ) -> SMTPConnection:
        if cls is SMTPConnection:
            cls = SMTPConnection._roles[role]
        return super().__new__(cls)

    def __init__(
        self, role: Role, limits: SMTPLimits | None = None, policy: SMTPPolicy | None = None
    ) -> None:
        if role is not self.role:
            raise ValueError(f"{type(self).__name__} plays {self.role.value}, not {role.value}")
        self.limits = limits or SMTPLimits()
        self.session = Session(policy or SMTPPolicy(), self.limits)
        self.injected_after_starttls = b""
        """Bytes that arrived after the 220 to STARTTLS and before start_tls()
        (the first ``max_injected_record`` of them): never processed."""
        self.injected_octets = 0

    @abc.abstractmethod
    def receive_data(self, data: bytes) -> None:
        """Feed received bytes; b"" says the peer closed its side."""

    @abc.abstractmethod
    def next_event(self) -> Event | NeedData:
        """The next event, or NEED_DATA until more bytes arrive."""

    @abc.abstractmethod
    def send(self, event: Event) -> bytes:
        """The bytes that carry ``event``; updates the state."""

    @abc.abstractmethod
    def start_tls(self) -> None:
        """TLS is up: restart the session as RFC 3207 §4.2 requires."""

    @property
    @abc.abstractmethod
    def buffered(self) -> int:
        """Octets received and not yet turned into events."""

    @property
    def awaiting_reply(self) -> Event | None:
        """Server role: the event the application must answer next, if any."""
        return None

    def events(self) -> Iterator[Event]:
        """The events available now: stops at NEED_DATA, after ConnectionClosed,
        when TLS must start, and (server role) after an event that awaits a reply."""
        while self.session.state is not State.STARTTLS:
            event = self.next_event()
            if not isinstance(event, Event):
                return
            yield event
            if isinstance(event, ConnectionClosed) or self.awaiting_reply is not None:
                return

    def _record_injection(self, data: bytes) -> None:
        """RFC 3207 §4.2 / CVE-2011-0411: bytes that came before TLS started are
        never read as protocol; keep a bounded record of them."""
        self.injected_octets += len(data)
        room = self.limits.max_injected_record - len(self.injected_after_starttls)
        if room > 0 and data:
            self.injected_after_starttls += data[:room]

    @property
    def state(self) -> State:
        return self.session.state

    @property
    def hello(self) -> Ehlo | Helo | None:
        """The accepted HELO/EHLO, or None."""
        return self.session.hello

    @property
    def extensions(self) -> Mapping[str, tuple[str, ...]]:
        """EHLO keywords (upper case) -> parameters, from the accepted EHLO reply."""
        return self.session.extensions

    @property
    def tls_active(self) -> bool:
        return self.session.tls_active

    @property
    def authenticated(self) -> bool:
        return self.session.authenticated

    @property
    def mail_from(self) -> MailFrom | None:
        """The accepted MAIL of the open transaction."""
        return self.session.mail_from

    @property
    def recipients(self) -> int:
        """How many RCPTs were accepted in the open transaction."""
        return self.session.recipients

    @property
    def greeting(self) -> Reply | None:
        """Client role: the server's greeting once read."""
        return None
