"""Hypothesis: bodies and responses survive any segmentation; arbitrary bytes in
either role give only events, NEED_DATA or RemoteProtocolError, in bounded memory."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pop3_pair import Pair, drain

from harness.protocols.common import NEED_DATA, RemoteProtocolError, Role, dot_stuff
from harness.protocols.pop3 import (
    Auth,
    AuthChallenge,
    Capa,
    Capability,
    Command,
    ConnectionClosed,
    Dele,
    Err,
    Event,
    List,
    MessageData,
    MultilineEnd,
    Noop,
    Ok,
    Pass,
    POP3Connection,
    POP3Limits,
    Retr,
    Rset,
    ScanListing,
    Stat,
    Stls,
    Top,
    Uidl,
    UniqueIdListing,
    User,
)
from harness.protocols.pop3.events import AuthLine, Response
from harness.protocols.pop3.multiline import DotStuffEncoder
from harness.protocols.pop3.state import Body, multiline_body

FAST = settings(max_examples=200, deadline=None)
# Bodies dense in the octets that matter to stuffing, plus arbitrary ones.
bodies = st.binary(max_size=600) | st.lists(
    st.sampled_from([b"\r\n", b".", b"\r", b"\n", b"a", b"..", b"\r\n.\r\n"]), max_size=60
).map(b"".join)
text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30).filter(
    lambda t: not t.startswith("[")
)
msg = st.integers(min_value=1, max_value=999)
word = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    return [piece for piece in pieces if piece]  # b"" would mean "peer closed"


def logged_in_pair() -> Pair:
    pair = Pair(greeting=Ok("hi"))
    pair.to_server(User("u"), Pass("p"))
    for _ in range(2):
        pair.server_event()
        pair.to_client(Ok())
    assert len(pair.client_events()) == 2
    return pair


@FAST
@given(
    bodies,
    st.lists(st.integers(min_value=0), max_size=6),
    st.lists(st.integers(min_value=0), max_size=6),
)
def test_message_bodies_survive_any_chunking(
    body: bytes, writes: list[int], reads: list[int]
) -> None:
    encoder = DotStuffEncoder()
    wire = b"".join(encoder.encode(chunk) for chunk in split(body, writes)) + encoder.end()
    assert wire == dot_stuff(body)  # the same octets as the shared one-shot codec
    client = POP3Connection(Role.CLIENT, enforce_states=False)
    client.receive_data(b"+OK\r\n")
    drain(client)
    client.send(Retr(1))
    client.send(Noop())
    events: list[Event] = []
    for piece in split(b"+OK\r\n" + wire + b"+OK next\r\n", reads):
        client.receive_data(piece)
        events.extend(drain(client))
    received = b"".join(e.data for e in events if isinstance(e, MessageData))
    assert received == (body if body.endswith(b"\r\n") or not body else body + b"\r\n")
    assert events[0] == Ok() and events[-2:] == [MultilineEnd(), Ok("next")]


def _parts(body: Body) -> st.SearchStrategy[list[Event]]:
    part: st.SearchStrategy[Event] = {
        Body.SCAN: st.builds(ScanListing, msg, st.integers(min_value=0, max_value=10**9)),
        Body.UNIQUE_ID: st.builds(UniqueIdListing, msg, word),
        Body.CAPABILITY: st.builds(Capability, word.filter(lambda w: "." not in w)),
        Body.MESSAGE: st.builds(MessageData, st.binary(min_size=1, max_size=50)),
        Body.LANGUAGE: st.nothing(),
    }[body]
    return st.lists(part, max_size=4)


@st.composite
def exchanges(draw: st.DrawFn) -> tuple[Command, Response, list[Event]]:
    command = draw(
        st.sampled_from(
            [
                Stat(),
                List(),
                List(2),
                Uidl(),
                Uidl(3),
                Retr(1),
                Top(1, 0),
                Noop(),
                Rset(),
                Dele(1),
                Capa(),
            ]
        )
    )
    kind = draw(st.sampled_from([Ok, Err]))
    response = kind(draw(text), draw(st.none() | st.sampled_from(["IN-USE", "SYS/TEMP"])))
    body = multiline_body(command) if isinstance(response, Ok) else None
    parts = [*draw(_parts(body)), MultilineEnd()] if body is not None else []
    return command, response, parts


@FAST
@given(
    st.lists(exchanges(), min_size=1, max_size=6), st.lists(st.integers(min_value=0), max_size=8)
)
def test_pipelined_responses_parse_back_to_what_was_sent(
    steps: list[tuple[Command, Response, list[Event]]], cuts: list[int]
) -> None:
    pair = logged_in_pair()
    wire_up = b"".join(pair.client.send(command) for command, _, _ in steps)
    for piece in split(wire_up, cuts):
        pair.server.receive_data(piece)
    sent: list[Event] = []
    wire_down = b""
    for command, response, parts in steps:
        assert pair.server.next_event() == command
        for event in (response, *parts):
            wire_down += pair.server.send(event)
            sent.append(event)
    received: list[Event] = []
    for piece in split(wire_down, cuts):
        pair.client.receive_data(piece)
        received.extend(drain(pair.client))
    # MessageData chunking may differ; compare with bodies joined, and a body
    # sent without a final CRLF arrives with one (RFC 1939 §3 framing).
    assert _joined(received) == _with_final_crlf(_joined(sent))
    assert pair.client.in_flight == ()


def _with_final_crlf(events: list[Event]) -> list[Event]:
    return [
        MessageData(e.data + b"\r\n")
        if isinstance(e, MessageData) and not e.data.endswith(b"\r\n")
        else e
        for e in events
    ]


def _joined(events: list[Event]) -> list[Event]:
    out: list[Event] = []
    for event in events:
        if isinstance(event, MessageData) and out and isinstance(out[-1], MessageData):
            out[-1] = MessageData(out[-1].data + event.data)
        else:
            out.append(event)
    return out


SERVER_TOKENS = [
    b"USER a\r\n",
    b"PASS b\r\n",
    b"STAT\r\n",
    b"LIST\r\n",
    b"RETR 1\r\n",
    b"TOP 1 2\r\n",
    b"UIDL\r\n",
    b"CAPA\r\n",
    b"AUTH PLAIN\r\n",
    b"AUTH PLAIN =\r\n",
    b"*\r\n",
    b"AHUAcA==\r\n",
    b"STLS\r\n",
    b"UTF8\r\n",
    b"QUIT\r\n",
    b"\r\n",
    b"\n",
    b"\r",
    b".",
    b" ",
    b"\x00",
    b"\xff",
]
fuzz_bytes = st.lists(st.sampled_from(SERVER_TOKENS) | st.binary(max_size=40), max_size=25).map(
    b"".join
)
LIMITS = POP3Limits(max_command_line=64, max_response_line=96, max_sasl_line=128)


@FAST
@given(
    fuzz_bytes, st.lists(st.integers(min_value=0), max_size=5), st.randoms(use_true_random=False)
)
def test_server_fuzz(data: bytes, cuts: list[int], rnd: object) -> None:
    conn = POP3Connection(Role.SERVER, LIMITS)
    conn.send(Ok("hi"))
    for piece in [*split(data, cuts), b""]:
        conn.receive_data(piece)
        _serve_until_blocked(conn, rnd)
    assert conn.next_event() == ConnectionClosed() or conn.awaiting_reply is not None


def _serve_until_blocked(conn: POP3Connection, rnd: object) -> None:
    for _ in range(500):
        try:
            event = conn.next_event()
        except RemoteProtocolError as exc:
            assert exc.reply is not None and exc.reply.startswith(b"-ERR ") and not exc.fatal
            continue
        if event is NEED_DATA or isinstance(event, ConnectionClosed):
            if conn.awaiting_reply is None:
                assert len(conn._core.lines) <= LIMITS.max_sasl_line  # bounded buffer
            return
        _answer(conn, event, rnd.random())  # type: ignore[attr-defined]
    raise AssertionError("server core never blocked")


def _answer(conn: POP3Connection, event: object, coin: float) -> None:
    if isinstance(event, Auth | AuthLine) and not getattr(event, "cancelled", False) and coin < 0.5:
        conn.send(AuthChallenge(b"more"))
        return
    if coin < 0.3 or (isinstance(event, AuthLine) and event.cancelled):
        conn.send(Err("no"))
        return
    conn.send(Ok())
    if isinstance(event, Command) and multiline_body(event) is not None:
        conn.send(MultilineEnd())
    if isinstance(event, Stls):
        conn.start_tls()


CLIENT_TOKENS = [
    b"+OK\r\n",
    b"+OK 1 2\r\n",
    b"-ERR no\r\n",
    b"-ERR [IN-USE] x\r\n",
    b"+ \r\n",
    b"+ AAAA\r\n",
    b".\r\n",
    b"..x\r\n",
    b"1 20\r\n",
    b"1 uid\r\n",
    b"TOP\r\n",
    b"\r\n",
    b"\n",
    b"\r",
    b".",
    b"+",
]
client_fuzz = st.lists(st.sampled_from(CLIENT_TOKENS) | st.binary(max_size=40), max_size=25).map(
    b"".join
)
client_commands = st.lists(
    st.sampled_from([Stat(), List(), List(1), Uidl(), Retr(1), Top(1, 1), Capa(), Noop(), Dele(1)]),
    max_size=6,
)


@FAST
@given(client_commands, st.booleans(), client_fuzz, st.lists(st.integers(min_value=0), max_size=5))
def test_client_fuzz(commands: list[Command], auth: bool, data: bytes, cuts: list[int]) -> None:
    conn = POP3Connection(Role.CLIENT, LIMITS, enforce_states=False)
    conn.receive_data(b"+OK hi\r\n")
    assert drain(conn) == [Ok("hi")]
    for command in [*commands, *([Auth("PLAIN")] if auth else [])]:
        conn.send(command)
    for piece in [*split(data, cuts), b""]:
        conn.receive_data(piece)
        if not _read_until_blocked(conn):
            return


def _read_until_blocked(conn: POP3Connection) -> bool:
    for _ in range(500):
        try:
            event = conn.next_event()
        except RemoteProtocolError as exc:
            if exc.fatal:
                return False
            continue
        if event is NEED_DATA or isinstance(event, ConnectionClosed):
            assert len(conn._core.lines) <= LIMITS.max_sasl_line + 2  # bounded buffer
            return True
        if isinstance(event, AuthChallenge):
            conn.send(AuthLine(cancelled=True))
    raise AssertionError("client core never blocked")
