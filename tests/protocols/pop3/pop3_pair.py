"""A client core wired to a server core with real bytes (h11's connection-pair idea)."""

from __future__ import annotations

from harness.protocols.common import NEED_DATA, Role
from harness.protocols.pop3 import POP3Connection, POP3Limits
from harness.protocols.pop3.events import ClientEvent, Event, Ok, ServerEvent


class Pair:
    """Both ends of one POP3 session; every octet either way is kept in ``wire``."""

    def __init__(
        self,
        *,
        greeting: Ok | None = None,
        limits: POP3Limits | None = None,
        tls: bool = False,
    ) -> None:
        self.client = POP3Connection(Role.CLIENT, limits, tls=tls)
        self.server = POP3Connection(Role.SERVER, limits, tls=tls)
        self.wire: list[tuple[str, bytes]] = []
        if greeting is not None:
            self.to_client(greeting)
            assert self.client_events() == [greeting]

    def to_server(self, *events: ClientEvent) -> bytes:
        data = b"".join(self.client.send(event) for event in events)
        self.wire.append(("C", data))
        self.server.receive_data(data)
        return data

    def to_client(self, *events: ServerEvent) -> bytes:
        data = b"".join(self.server.send(event) for event in events)
        self.wire.append(("S", data))
        self.client.receive_data(data)
        return data

    def server_event(self) -> Event:
        event = self.server.next_event()
        assert event is not NEED_DATA
        assert isinstance(event, Event)
        return event

    def client_events(self) -> list[Event]:
        return drain(self.client)

    def transcript(self) -> bytes:
        """The session in the RFC's C:/S: notation, one line per wire line."""
        out = []
        for side, data in self.wire:
            out.extend(f"{side}: ".encode() + line for line in data.splitlines(keepends=True))
        return b"".join(out)


def drain(conn: POP3Connection, limit: int = 10_000) -> list[Event]:
    """Every event available now (bounded, so a bug cannot spin forever)."""
    events: list[Event] = []
    for _ in range(limit):
        event = conn.next_event()
        if event is NEED_DATA:
            return events
        assert isinstance(event, Event)
        events.append(event)
        if type(event).__name__ == "ConnectionClosed":
            return events
    raise AssertionError("next_event() never returned NEED_DATA")
