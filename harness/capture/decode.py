"""Any pcap -> the SMTP, POP3 and IMAP conversations in it, as decoded transcripts.

Connections are reassembled (``reassembly``), given a protocol by their
server port (``DEFAULT_PORTS``, or the caller's map) or, on other ports, by
the server's greeting, and replayed through the protocol's ``Dialogue`` in
time order. The result per connection is a Transcript in the harness's own
model, so it renders as C:/S: text and becomes a script like any recorded
session, plus notes: protocol violations, gaps in the capture, TLS.

Encrypted traffic (a client whose first octets, or whose octets after
STARTTLS, are a TLS ClientHello) is not shown: its octets are counted and a note says how to decrypt it with a key
log in Wireshark or tshark (docs/capture.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harness.capture.dialogue import Dialogue, Note
from harness.capture.imap_dialogue import IMAPDialogue
from harness.capture.pcapfile import ReadStats, read_segments
from harness.capture.pop3_dialogue import POP3Dialogue
from harness.capture.reassembly import Chunk, Mark, MarkKind, TcpConnection, reassemble
from harness.capture.smtp_dialogue import SMTPDialogue
from harness.capture.tlsrecords import looks_like_tls
from harness.transcript import Direction, Event, EventKind, Transcript

PROTOCOLS = ("smtp", "pop3", "imap")
DEFAULT_PORTS: dict[int, str] = {
    **dict.fromkeys((25, 587, 465, 2525, 10025, 10587), "smtp"),
    **dict.fromkeys((110, 10110), "pop3"),
    **dict.fromkeys((143, 10143), "imap"),
}
IMPLICIT_TLS_PORTS: dict[int, str] = {
    **dict.fromkeys((465, 10465), "smtp"),
    **dict.fromkeys((995, 10995), "pop3"),
    **dict.fromkeys((993, 10993), "imap"),
}
DIALOGUES: dict[str, Callable[[], Dialogue]] = {
    "smtp": SMTPDialogue,
    "pop3": POP3Dialogue,
    "imap": IMAPDialogue,
}
_GREETINGS = (
    (re.compile(rb"220[ -]"), "smtp"),
    (re.compile(rb"\+OK"), "pop3"),
    (re.compile(rb"\* (OK|PREAUTH)[ \[]", re.I), "imap"),
)


@dataclass
class DecodedConnection:
    """One mail conversation found in a capture."""

    number: int
    protocol: str
    connection: TcpConnection
    transcript: Transcript
    notes: list[Note] = field(default_factory=list)
    encrypted_octets: dict[Direction, int] = field(default_factory=dict)

    @property
    def violations(self) -> list[Note]:
        return [note for note in self.notes if note.violation]

    @property
    def encrypted(self) -> bool:
        return any(self.encrypted_octets.values())


@dataclass
class PcapDecoding:
    path: Path
    connections: list[DecodedConnection]
    skipped: list[str]  # one line per TCP connection that is not a mail conversation
    stats: ReadStats


def decode_pcap(path: Path | str, ports: Mapping[int, str] | None = None) -> PcapDecoding:
    """Every SMTP/POP3/IMAP conversation of the file (PcapFormatError if it is not a pcap)."""
    port_map = {**DEFAULT_PORTS, **IMPLICIT_TLS_PORTS, **(ports or {})}
    stats = ReadStats()
    connections = reassemble(read_segments(path, stats), server_ports=port_map)
    decoded: list[DecodedConnection] = []
    skipped: list[str] = []
    for connection in connections:
        protocol = port_map.get(connection.server.port) or _guess_protocol(connection)
        if protocol is None:
            skipped.append(f"{connection.describe()}: not a mail port (use --port PROTO=PORT)")
            continue
        decoded.append(decode_connection(connection, protocol, len(decoded) + 1))
    return PcapDecoding(Path(path), decoded, skipped, stats)


def _guess_protocol(connection: TcpConnection) -> str | None:
    """A connection on an unknown port is mail if the server greets like a mail server."""
    first = connection.to_client.chunks[0].data if connection.to_client.chunks else b""
    for pattern, protocol in _GREETINGS:
        if pattern.match(first):
            return protocol
    return None


def decode_connection(connection: TcpConnection, protocol: str, number: int) -> DecodedConnection:
    """Replay one connection through its protocol's dialogue into a transcript."""
    transcript = Transcript(str(number), protocol, connection.client, connection.server)
    decoded = DecodedConnection(number, protocol, connection, transcript)
    builder = _Builder(decoded, DIALOGUES[protocol]())
    for item in connection.timeline():
        if isinstance(item, Chunk):
            builder.data(item)
        else:
            builder.mark(item)
    builder.finish()
    return decoded


class _Builder:
    """Appends a connection's timeline to a transcript while the dialogue decodes it."""

    def __init__(self, decoded: DecodedConnection, dialogue: Dialogue) -> None:
        self.decoded = decoded
        self.events = decoded.transcript.events
        self.dialogue = dialogue
        self.tls = False
        self.notes: list[Note] = []

    def data(self, chunk: Chunk) -> None:
        if not self.tls and chunk.direction is Direction.CLIENT and looks_like_tls(chunk.data):
            self.start_tls(chunk.time)
        if self.tls:
            octets = self.decoded.encrypted_octets
            octets[chunk.direction] = octets.get(chunk.direction, 0) + len(chunk.data)
            return
        last = self.events[-1] if self.events else None
        if last is not None and _continues(last, chunk):
            self.events[-1] = Event(
                EventKind.DATA, chunk.direction, last.data + chunk.data, last.monotonic, last.wall
            )
        else:
            self.events.append(
                Event(EventKind.DATA, chunk.direction, chunk.data, chunk.time, chunk.time)
            )
        self.dialogue.feed(len(self.events) - 1, chunk.direction, chunk.data)

    def mark(self, mark: Mark) -> None:
        who = mark.direction.value
        if mark.kind is MarkKind.GAP:
            self._note(f"capture gap: {mark.length:,} octets from the {who} were not captured")
            self.dialogue.lost = True  # the cores cannot frame across missing octets
        elif mark.kind is MarkKind.RST:
            self._note(f"the {who} reset the connection")
        else:
            self.events.append(Event(EventKind.CLOSE, mark.direction, b"", mark.time, mark.time))
            if not self.tls:
                self.dialogue.feed(len(self.events) - 1, mark.direction, b"")

    def start_tls(self, time: float) -> None:
        implicit = not self.events
        self.tls = True
        self.events.append(Event(EventKind.TLS, Direction.CLIENT, b"", time, time))
        why = (
            "implicit TLS from the first octet" if implicit else "TLS handshake after STARTTLS/STLS"
        )
        self._note(f"{why}: what follows is encrypted")

    def _note(self, text: str) -> None:
        self.notes.append(Note(max(len(self.events) - 1, 0), text, violation=False))

    def finish(self) -> None:
        octets = self.decoded.encrypted_octets
        if octets:
            client, server = octets.get(Direction.CLIENT, 0), octets.get(Direction.SERVER, 0)
            self._note(
                f"{client:,} client and {server:,} server octets encrypted, not shown "
                "(decrypt with the TLS key log in Wireshark/tshark: see docs/capture.md)"
            )
        merged = [*self.dialogue.notes, *self.notes]
        merged.sort(key=lambda note: note.index)  # stable: dialogue notes first per event
        self.decoded.notes = merged


def _continues(last: Event, chunk: Chunk) -> bool:
    """Server data is one run until the client speaks; a client write cut mid-line goes on."""
    if last.kind is not EventKind.DATA or last.direction is not chunk.direction:
        return False
    return chunk.direction is Direction.SERVER or not last.data.endswith(b"\n")
