"""POP3 AUTH (RFC 5034) through both cores, with every SASL mechanism."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pop3_pair import Pair

from harness.protocols.common import NEED_DATA, LocalProtocolError, RemoteProtocolError, Role
from harness.protocols.pop3 import (
    AUTH,
    Auth,
    AuthChallenge,
    AuthLine,
    Err,
    Event,
    Ok,
    POP3Connection,
    Stat,
    State,
)
from harness.protocols.sasl import (
    Challenge,
    ClientMechanism,
    Credentials,
    SaslClientError,
    ServerExchange,
    ServerMechanism,
    Success,
)

USERS = {"tim": Credentials.from_password("tanstaaftanstaaf", keep_plaintext=True)}
MECHANISMS = ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"]


def client_auth(pair: Pair, mechanism: str, password: str, *, initial: bool = True) -> list[object]:
    """The client application's side: returns every event it saw."""
    client = ClientMechanism.create(mechanism, "tim", password)
    first = client.initial_response() if initial else None
    auth = Auth(mechanism, first)
    pair.to_server(auth)
    seen: list[object] = []
    for event in _interleave(pair, auth):
        seen.append(event)
        if isinstance(event, AuthChallenge):
            try:
                pair.to_server(AuthLine(client.step(event.data)))
            except SaslClientError:
                pair.to_server(AuthLine(cancelled=True))
        elif isinstance(event, Ok):
            client.finish(None)
    return seen


def _interleave(pair: Pair, auth: Auth) -> Iterator[Event]:
    """The server application's side of one AUTH exchange, run step by step so
    each side only ever reacts to bytes the other actually sent."""
    assert pair.server_event() == auth
    exchange = ServerExchange(ServerMechanism.create(auth.mechanism, credentials=USERS.get))
    outcome = exchange.start(auth.initial_response)
    for _ in range(8):
        if not isinstance(outcome, Challenge):
            break
        pair.to_client(AuthChallenge(outcome.data))
        (event,) = pair.client_events()
        yield event
        line = pair.server_event()
        assert isinstance(line, AuthLine)
        outcome = exchange.cancel() if line.cancelled else exchange.step(line.data)
    pair.to_client(Ok("logged in") if isinstance(outcome, Success) else Err("failed", AUTH))
    (final,) = pair.client_events()
    yield final


@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize("initial", [True, False])
def test_auth_with_each_mechanism(mechanism: str, initial: bool) -> None:
    pair = Pair(greeting=Ok("ready"))
    seen = client_auth(pair, mechanism, "tanstaaftanstaaf", initial=initial)
    assert seen[-1] == Ok("logged in")
    assert pair.client.state is pair.server.state is State.TRANSACTION
    pair.to_server(Stat())
    assert pair.server_event() == Stat()


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_auth_wrong_password_stays_in_authorization(mechanism: str) -> None:
    pair = Pair(greeting=Ok("ready"))
    seen = client_auth(pair, mechanism, "wrong")
    assert seen[-1] == Err("failed", AUTH)
    assert pair.client.state is pair.server.state is State.AUTHORIZATION


def test_scram_server_final_travels_as_a_challenge_and_wire_shape() -> None:
    pair = Pair(greeting=Ok("ready"))
    seen = client_auth(pair, "SCRAM-SHA-256", "tanstaaftanstaaf")
    challenges = [e for e in seen if isinstance(e, AuthChallenge)]
    assert len(challenges) == 2 and challenges[1].data.startswith(b"v=")
    client_lines = b"".join(d for side, d in pair.wire if side == "C")
    assert client_lines.startswith(b"AUTH SCRAM-SHA-256 biwsbj10aW0s")  # "n,,n=tim,"
    assert client_lines.endswith(b"\r\n\r\n")  # the empty answer to the server-final


def test_plain_initial_response_on_the_wire_and_empty_one() -> None:
    client = POP3Connection(Role.CLIENT, enforce_states=False)
    assert (
        client.send(Auth("PLAIN", b"\x00tim\x00tanstaaf")) == b"AUTH PLAIN AHRpbQB0YW5zdGFhZg==\r\n"
    )
    other = POP3Connection(Role.CLIENT, enforce_states=False)
    assert other.send(Auth("EXTERNAL", b"")) == b"AUTH EXTERNAL =\r\n"


def test_cancel_must_be_answered_with_err() -> None:
    server = POP3Connection(Role.SERVER)
    server.send(Ok("ready"))
    server.receive_data(b"AUTH LOGIN\r\n")
    assert server.next_event() == Auth("LOGIN")
    assert server.send(AuthChallenge(b"Username:")) == b"+ VXNlcm5hbWU6\r\n"
    server.receive_data(b"*\r\n")
    assert server.next_event() == AuthLine(cancelled=True)
    with pytest.raises(LocalProtocolError):
        server.send(Ok())
    with pytest.raises(LocalProtocolError):
        server.send(AuthChallenge(b"again"))
    assert server.send(Err("cancelled")) == b"-ERR cancelled\r\n"
    server.receive_data(b"CAPA\r\n")
    assert server.next_event().__class__.__name__ == "Capa"


def test_undecodable_auth_line_ends_the_exchange_with_err() -> None:
    server = POP3Connection(Role.SERVER)
    server.send(Ok("ready"))
    server.receive_data(b"AUTH PLAIN\r\n")
    server.next_event()
    server.send(AuthChallenge(b""))
    server.receive_data(b"not base64!!\r\nSTAT\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        server.next_event()
    assert info.value.reply is not None and info.value.reply.startswith(b"-ERR")
    with pytest.raises(RemoteProtocolError):  # back to commands: STAT is wrong-state
        server.next_event()
    assert server.state is State.AUTHORIZATION


def test_undecodable_initial_response_is_err() -> None:
    server = POP3Connection(Role.SERVER)
    server.send(Ok("ready"))
    server.receive_data(b"AUTH PLAIN ***\r\n")
    with pytest.raises(RemoteProtocolError):
        server.next_event()


def test_sasl_lines_may_exceed_the_command_limit_but_stay_bounded() -> None:
    server = POP3Connection(Role.SERVER)
    server.send(Ok("ready"))
    server.receive_data(b"AUTH PLAIN\r\n")
    server.next_event()
    server.send(AuthChallenge(b""))
    long_line = b"QUFB" * 100  # 400 octets: over 255, fine inside AUTH
    server.receive_data(long_line + b"\r\n")
    assert server.next_event() == AuthLine(b"AAA" * 100)
    server.send(AuthChallenge(b""))
    server.receive_data(b"QUFB" * 3000 + b"\r\n")  # over max_sasl_line (8192)
    with pytest.raises(RemoteProtocolError):
        server.next_event()
    assert server.next_event() is NEED_DATA


def test_initial_response_that_does_not_fit_is_refused_locally() -> None:
    client = POP3Connection(Role.CLIENT, enforce_states=False)
    with pytest.raises(LocalProtocolError):
        client.send(Auth("PLAIN", b"x" * 300))
    assert client.in_flight == ()


def test_client_bad_challenge_is_non_fatal_and_can_be_cancelled() -> None:
    client = POP3Connection(Role.CLIENT, enforce_states=False)
    client.receive_data(b"+OK hi\r\n")
    client.next_event()
    client.send(Auth("PLAIN"))
    client.receive_data(b"+ !!!\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        client.next_event()
    assert not info.value.fatal
    assert client.send(AuthLine(cancelled=True)) == b"*\r\n"
    client.receive_data(b"-ERR cancelled\r\n")
    assert client.next_event() == Err("cancelled")
    with pytest.raises(LocalProtocolError):
        client.send(AuthLine(b"late"))
