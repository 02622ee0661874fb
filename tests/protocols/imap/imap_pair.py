"""An IMAP client core wired to a server core with real bytes (h11's pair idea)."""

from __future__ import annotations

from harness.protocols.common import NEED_DATA, Role
from harness.protocols.imap import IMAPConnection, IMAPLimits
from harness.protocols.imap.events import Event


class Pair:
    """Both ends of one session; every octet each way is kept in ``wire``.

    ``chunk`` delivers bytes in pieces of that size, to show framing does not
    depend on how TCP cuts the stream.
    """

    def __init__(
        self,
        *,
        server_limits: IMAPLimits | None = None,
        client_limits: IMAPLimits | None = None,
        chunk: int = 0,
    ) -> None:
        self.server = IMAPConnection(Role.SERVER, server_limits)
        self.client = IMAPConnection(Role.CLIENT, client_limits)
        self.chunk = chunk
        self.wire: list[tuple[str, bytes]] = []

    def to_server(self, *events: Event) -> bytes:
        data = b"".join(self.client.send(event) for event in events)
        self.raw_to_server(data)
        return data

    def raw_to_server(self, data: bytes) -> None:
        self.wire.append(("C", data))
        feed(self.server, data, self.chunk)

    def to_client(self, *events: Event) -> bytes:
        data = b"".join(self.server.send(event) for event in events)
        self.wire.append(("S", data))
        feed(self.client, data, self.chunk)
        return data

    def continue_literal(self) -> bytes:
        data = self.client.continue_literal()
        self.raw_to_server(data)
        return data

    def server_event(self) -> Event:
        event = self.server.next_event()
        assert isinstance(event, Event), event
        return event

    def server_events(self) -> list[Event]:
        return drain(self.server)

    def client_events(self) -> list[Event]:
        return drain(self.client)


def feed(conn: IMAPConnection, data: bytes, chunk: int) -> None:
    if not chunk:
        conn.receive_data(data)
        return
    for start in range(0, len(data), chunk):
        conn.receive_data(data[start : start + chunk])


def drain(conn: IMAPConnection, limit: int = 10_000) -> list[Event]:
    """Every event available now (bounded, so a bug cannot spin forever)."""
    events: list[Event] = []
    for _ in range(limit):
        event = conn.next_event()
        if event is NEED_DATA:
            return events
        assert isinstance(event, Event)
        events.append(event)
    raise AssertionError("next_event() never returned NEED_DATA")
