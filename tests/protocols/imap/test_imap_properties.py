"""Properties: what one core writes, the other parses back to an equal event;
arbitrary bytes never crash either role, hang it, or grow its buffers."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from imap_pair import Pair
from imap_strategies import commands, responses, tags

from harness.protocols.common import NEED_DATA, RemoteProtocolError, Role
from harness.protocols.imap import (
    Command,
    Continuation,
    Idle,
    IMAPConnection,
    IMAPLimits,
    LiteralRequest,
    State,
    TaggedResponse,
)
from harness.protocols.imap.events import ConnectionClosed, Event

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOT_AUTH_COMMANDS = {"LOGIN", "AUTHENTICATE", "STARTTLS"}


def deliver(pair: Pair, command: Command) -> Event:
    """Send ``command`` through both cores, granting every synchronising literal."""
    pair.to_server(command)
    for _ in range(100):
        event = pair.server_event()
        if not isinstance(event, LiteralRequest):
            return event
        pair.to_client(Continuation("go"))
        assert pair.client_events() == [Continuation("go")]
        pair.continue_literal()
    raise AssertionError("too many literals")


@SETTINGS
@given(st.data(), tags, st.booleans(), st.integers(0, 9))
def test_every_command_round_trips(data: st.DataObject, tag: str, plus: bool, chunk: int) -> None:
    command = data.draw(commands(tag))
    assert isinstance(command, Command)
    pair = Pair(chunk=chunk)
    state = State.NOT_AUTHENTICATED if command.name in NOT_AUTH_COMMANDS else State.SELECTED
    pair.client.state = pair.server.state = state
    if plus:
        pair.client.capabilities = frozenset({"LITERAL+"})
    assert deliver(pair, command) == command
    assert pair.server.next_event() is NEED_DATA


@SETTINGS
@given(responses, st.booleans(), st.integers(0, 9))
def test_every_response_round_trips(response: Event, utf8: bool, chunk: int) -> None:
    pair = Pair(chunk=chunk)
    if utf8:
        pair.server.enabled = pair.client.enabled = frozenset({"IMAP4REV2"})
    if isinstance(response, Continuation):  # a "+" needs a command waiting for it
        pair.client.state = pair.server.state = State.AUTHENTICATED
        pair.to_server(Idle("i"))
        pair.server_events()
    pair.to_client(response)
    assert pair.client_events() == [response]


def _bounded(conn: IMAPConnection, data: bytes, limits: IMAPLimits) -> None:
    """Feed ``data`` in pieces; only events, NEED_DATA or RemoteProtocolError."""
    for start in range(0, len(data), 97):
        conn.receive_data(data[start : start + 97])
        for _ in range(200):
            try:
                event = conn.next_event()
            except RemoteProtocolError:
                continue
            if event is NEED_DATA:
                break
            assert isinstance(event, Event)
            _answer(conn, event)
        assert len(conn._framer.lines) <= limits.max_line + 97
    conn.receive_data(b"")
    for _ in range(50):
        try:
            if isinstance(conn.next_event(), ConnectionClosed | type(NEED_DATA)):
                break
        except RemoteProtocolError:
            pass


def _answer(conn: IMAPConnection, event: Event) -> None:
    """Play along as a server would, so the fuzz reaches every phase."""
    if isinstance(event, LiteralRequest):
        conn.send(Continuation("go"))
    elif isinstance(event, Command) and event.name in ("IDLE", "AUTHENTICATE"):
        conn.send(Continuation(""))
    elif isinstance(event, Command) and event.name == "STARTTLS":
        conn.send(TaggedResponse(event.tag, "OK", "go"))
        conn.start_tls()


FUZZ_PIECES = (
    b' |\r\n|{|}|+|~|(|)|"|\\|*|[|]|0|9|5|a|A1 |NIL|LOGIN|APPEND|FETCH|IDLE|DONE|UID|OK|BODY['
)
FUZZ_ALPHABET = st.sampled_from(
    [*FUZZ_PIECES.split(b"|"), b"{3}\r\n", b"{2+}\r\n", b"~{1}\r\n", b"\x00", b"\xff", b"\n", b"\r"]
)
fuzz_bytes = st.lists(FUZZ_ALPHABET, max_size=60).map(b"".join) | st.binary(max_size=400)


@SETTINGS
@given(fuzz_bytes, st.sampled_from(list(State)))
def test_server_survives_arbitrary_bytes(data: bytes, state: State) -> None:
    limits = IMAPLimits(max_line=64, max_literal=32, max_unit=256, max_depth=6, max_items=20)
    conn = IMAPConnection(Role.SERVER, limits)
    conn.state = state
    _bounded(conn, data, limits)


@SETTINGS
@given(fuzz_bytes)
def test_client_survives_arbitrary_bytes(data: bytes) -> None:
    limits = IMAPLimits(max_line=64, max_literal=32, max_unit=256, max_depth=6, max_items=20)
    conn = IMAPConnection(Role.CLIENT, limits)
    _bounded(conn, b"* OK hi\r\n" + data, limits)
