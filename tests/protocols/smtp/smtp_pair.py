"""A client core wired to a server core with real bytes (h11's connection-pair idea)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from harness.protocols.common import NEED_DATA, RemoteProtocolError, Role
from harness.protocols.smtp import (
    Auth,
    AuthLine,
    ConnectionClosed,
    Data,
    Ehlo,
    Event,
    Helo,
    Quit,
    Reply,
    SMTPConnection,
    SMTPLimits,
    SMTPPolicy,
    StartTLS,
    State,
    ehlo_reply,
    reply,
)

EXTENSIONS: dict[str, Sequence[str]] = {
    "PIPELINING": (),
    "SIZE": ("10485760",),
    "8BITMIME": (),
    "BINARYMIME": (),
    "CHUNKING": (),
    "DSN": (),
    "SMTPUTF8": (),
    "ENHANCEDSTATUSCODES": (),
    "STARTTLS": (),
    "AUTH": ("PLAIN", "LOGIN"),
}
GREETING = reply(220, "mx.example.org ESMTP mailharness")
OK = reply(250, "OK", "2.0.0")


def default_answer(event: Event) -> Reply:
    """What a permissive test server answers to each event."""
    if isinstance(event, Ehlo):
        return ehlo_reply("mx.example.org", EXTENSIONS, "greets you")
    if isinstance(event, Helo):
        return reply(250, "mx.example.org")
    if isinstance(event, Data):
        return reply(354, "End data with <CR><LF>.<CR><LF>")
    if isinstance(event, Quit):
        return reply(221, "Bye", "2.0.0")
    if isinstance(event, StartTLS):
        return reply(220, "Ready to start TLS", "2.0.0")
    if isinstance(event, AuthLine) and event.cancelled:
        return reply(501, "Cancelled", "5.0.0")
    if isinstance(event, (Auth, AuthLine)):
        return reply(235, "Authenticated", "2.7.0")
    return OK


class Pair:
    """Both ends of one SMTP session; every octet either way is kept in ``wire``."""

    def __init__(
        self,
        *,
        limits: SMTPLimits | None = None,
        policy: SMTPPolicy | None = None,
        greeting: Reply | None = GREETING,
    ) -> None:
        self.client = SMTPConnection(Role.CLIENT, limits, policy)
        self.server = SMTPConnection(Role.SERVER, limits, policy)
        self.wire: list[tuple[str, bytes]] = []
        if greeting is not None:
            self.reply(greeting)
            assert self.client_events() == [greeting]

    def send(self, *events: Event) -> bytes:
        """Client events to bytes, delivered to the server."""
        data = b"".join(self.client.send(event) for event in events)
        self.wire.append(("C", data))
        self.server.receive_data(data)
        return data

    def reply(self, *replies: Reply) -> bytes:
        """Server replies to bytes, delivered to the client."""
        data = b"".join(self.server.send(r) for r in replies)
        self.wire.append(("S", data))
        self.client.receive_data(data)
        return data

    def server_event(self) -> Event:
        event = self.server.next_event()
        assert isinstance(event, Event), event
        return event

    def exchange(self, event: Event, answer: Reply | None = None) -> Reply:
        """One command through both cores; returns the reply the client read."""
        self.send(event)
        assert self.server_event() == event
        answer = answer or default_answer(event)
        self.reply(answer)
        got = self.client_events()
        closes = answer.code == 421 or (isinstance(event, Quit) and answer.code == 221)
        assert got == ([answer, ConnectionClosed()] if closes else [answer]), got
        return answer

    def ehlo(self, extensions: Mapping[str, Sequence[str]] = EXTENSIONS) -> None:
        self.exchange(Ehlo("client.example.com"), ehlo_reply("mx.example.org", extensions))

    def client_events(self) -> list[Event]:
        return drain(self.client)

    def transcript(self) -> bytes:
        out = []
        for side, data in self.wire:
            out.extend(f"{side}: ".encode() + line for line in data.splitlines(keepends=True))
        return b"".join(out)


def drain(conn: SMTPConnection, limit: int = 10_000) -> list[Event]:
    """Every event available now (bounded, so a bug cannot spin forever)."""
    events: list[Event] = []
    for _ in range(limit):
        if conn.awaiting_reply is not None or conn.state is State.STARTTLS:
            return events
        event = conn.next_event()
        if event is NEED_DATA:
            return events
        assert isinstance(event, Event)
        events.append(event)
        if isinstance(event, ConnectionClosed):
            return events
    raise AssertionError("drain did not stop")


def serve(server: SMTPConnection, data: bytes, limit: int = 10_000) -> tuple[list[Event], bytes]:
    """Run a permissive server app over ``data``: every event answered with
    ``default_answer``, every refusal with the core's reply. Returns the events
    and everything the server wrote."""
    if data:  # b"" would mean the peer closed
        server.receive_data(data)
    events: list[Event] = []
    out = []
    for _ in range(limit):
        try:
            event = server.next_event()
        except RemoteProtocolError as exc:
            assert exc.reply is not None
            out.append(exc.reply)
            if exc.fatal:
                break
            continue
        if event is NEED_DATA:
            break
        assert isinstance(event, Event)
        events.append(event)
        if server.awaiting_reply is not None:
            out.append(server.send(default_answer(event)))
        elif isinstance(event, ConnectionClosed):
            break
    else:
        raise AssertionError("serve did not stop")
    return events, b"".join(out)


def greeted_server(
    limits: SMTPLimits | None = None, policy: SMTPPolicy | None = None, ehlo: bool = True
) -> SMTPConnection:
    server = SMTPConnection(Role.SERVER, limits, policy)
    server.send(GREETING)
    if ehlo:
        serve(server, b"EHLO client.example.com\r\n")
    return server
