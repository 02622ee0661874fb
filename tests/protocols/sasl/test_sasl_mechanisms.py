"""SASL mechanisms: RFC vectors, client against server over base64 lines, failures."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.protocols.common import LocalProtocolError
from harness.protocols.sasl import (
    Challenge,
    ClientMechanism,
    Credentials,
    Failure,
    FailureKind,
    SaslClientError,
    ServerExchange,
    ServerMechanism,
    Success,
    UnknownMechanism,
    decode_initial_response,
    decode_payload,
    derive_scram_credentials,
    encode_initial_response,
    encode_payload,
)

MECHANISMS = ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"]
USERS = {
    "alice": Credentials.from_password("alice-pw", keep_plaintext=True, iterations=4096),
    "bob": Credentials.from_password("bob pw ü", keep_plaintext=True, iterations=4096),
    "scram-only": Credentials.from_password("hashed-pw", iterations=4096),
    "plain-only": Credentials(password="plain-pw"),
}


def lookup(name: str) -> Credentials | None:
    return USERS.get(name)


def run(
    mechanism: str,
    user: str,
    password: str,
    authzid: str | None = None,
    *,
    use_initial_response: bool = True,
) -> tuple[Success | Failure, ClientMechanism]:
    """Drive a client against a server, every message as a base64 line of real bytes."""
    client = ClientMechanism.create(mechanism, user, password, authzid)
    exchange = ServerExchange(ServerMechanism.create(mechanism, credentials=lookup))
    initial = client.initial_response() if use_initial_response else None
    wire_ir = encode_initial_response(initial)
    outcome = exchange.start(None if wire_ir is None else decode_initial_response(wire_ir))
    for _ in range(10):
        if not isinstance(outcome, Challenge):
            break
        challenge = decode_payload(encode_payload(outcome.data))
        try:
            line = encode_payload(client.step(challenge))
        except SaslClientError:
            line = b"*"
        outcome = exchange.step_line(line)
    assert isinstance(outcome, Success | Failure)
    return outcome, client


@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize("use_ir", [True, False])
def test_client_authenticates_against_server(mechanism: str, use_ir: bool) -> None:
    outcome, client = run(mechanism, "alice", "alice-pw", use_initial_response=use_ir)
    assert outcome == Success("alice", None, None)
    client.finish(None)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_non_ascii_password(mechanism: str) -> None:
    outcome, _ = run(mechanism, "bob", "bob pw ü")
    assert isinstance(outcome, Success)


@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize(("user", "password"), [("alice", "wrong"), ("nobody", "alice-pw")])
def test_wrong_password_or_unknown_user_fails(mechanism: str, user: str, password: str) -> None:
    outcome, _ = run(mechanism, user, password)
    assert isinstance(outcome, Failure)
    assert outcome.kind is FailureKind.CREDENTIALS


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "SCRAM-SHA-256"])
def test_scram_verifier_alone_is_enough_for_password_mechanisms(mechanism: str) -> None:
    assert USERS["scram-only"].password is None
    assert isinstance(run(mechanism, "scram-only", "hashed-pw")[0], Success)
    assert isinstance(run(mechanism, "scram-only", "hashed-px")[0], Failure)


def test_cram_md5_needs_a_plaintext_equivalent_secret() -> None:
    outcome, _ = run("CRAM-MD5", "scram-only", "hashed-pw")
    assert isinstance(outcome, Failure)
    assert outcome.kind is FailureKind.UNAVAILABLE


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256"])
def test_scram_from_plaintext_only_credentials(mechanism: str) -> None:
    assert isinstance(run(mechanism, "plain-only", "plain-pw")[0], Success)


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256"])
def test_authzid_needs_the_authorizer(mechanism: str) -> None:
    outcome, _ = run(mechanism, "alice", "alice-pw", authzid="bob")
    assert isinstance(outcome, Failure)
    assert outcome.kind is FailureKind.AUTHORIZATION
    client = ClientMechanism.create(mechanism, "alice", "alice-pw", "bob")
    server = ServerMechanism.create(
        mechanism, credentials=lookup, authorize=lambda cid, zid: (cid, zid) == ("alice", "bob")
    )
    exchange = ServerExchange(server)
    outcome2 = exchange.start(client.initial_response())
    while isinstance(outcome2, Challenge):
        outcome2 = exchange.step(client.step(outcome2.data))
    assert outcome2 == Success("alice", "bob", None)
    assert outcome2.identity == "bob"


def test_rfc4616_plain_message_layout() -> None:
    # RFC 4616 §4 example: authzid empty, "tim" / "tanstaaftanstaaf".
    client = ClientMechanism.create("PLAIN", "tim", "tanstaaftanstaaf")
    assert client.initial_response() == b"\x00tim\x00tanstaaftanstaaf"
    with_authz = ClientMechanism.create("PLAIN", "Kurt", "xipj3plmq", authzid="Ursel")
    assert with_authz.initial_response() == b"Ursel\x00Kurt\x00xipj3plmq"


def test_rfc2195_cram_md5_example() -> None:
    secret = {"tim": Credentials(password="tanstaaftanstaaf")}
    server = ServerMechanism.create(
        "CRAM-MD5",
        credentials=secret.get,
        hostname="postoffice.reston.mci.net",
        nonce=lambda: "1896.697170952",
    )
    challenge = server.start(None)
    assert isinstance(challenge, Challenge)
    assert encode_payload(challenge.data) == (
        b"PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
    )
    client = ClientMechanism.create("CRAM-MD5", "tim", "tanstaaftanstaaf")
    response = client.step(challenge.data)
    assert encode_payload(response) == b"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"
    assert server.step(response) == Success("tim")


def test_login_prompts_and_initial_username() -> None:
    server = ServerMechanism.create("LOGIN", credentials=lookup)
    assert server.start(None) == Challenge(b"Username:")
    assert server.step(b"alice") == Challenge(b"Password:")
    assert server.step(b"alice-pw") == Success("alice")
    smtp_style = ServerMechanism.create("LOGIN", credentials=lookup)
    assert smtp_style.start(b"alice") == Challenge(b"Password:")
    client = ClientMechanism.create("LOGIN", "alice", "alice-pw")
    assert client.step(b"Password:") == b"alice-pw"


def test_cancel_ends_with_a_cancelled_failure() -> None:
    exchange = ServerExchange(ServerMechanism.create("LOGIN", credentials=lookup))
    exchange.start(None)
    outcome = exchange.step_line(b"*")
    assert isinstance(outcome, Failure)
    assert outcome.kind is FailureKind.CANCELLED
    with pytest.raises(LocalProtocolError):
        exchange.step(b"x")


def test_bad_base64_line_is_a_malformed_failure() -> None:
    exchange = ServerExchange(ServerMechanism.create("PLAIN", credentials=lookup))
    exchange.start(None)
    outcome = exchange.step_line(b"not base64!")
    assert isinstance(outcome, Failure)
    assert outcome.kind is FailureKind.MALFORMED


def test_framing_empty_initial_response_and_strictness() -> None:
    assert encode_initial_response(b"") == b"="
    assert encode_initial_response(None) is None
    assert decode_initial_response(b"=") == b""
    for bad in (b"", b"QQ", b"QQ==QQ==", b" QQ=="):
        with pytest.raises(ValueError):
            decode_initial_response(bad)


def test_unknown_mechanism_and_names() -> None:
    with pytest.raises(UnknownMechanism):
        ServerMechanism.create("DIGEST-MD5", credentials=lookup)
    with pytest.raises(UnknownMechanism):
        ClientMechanism.create("XOAUTH2", "a", "b")
    assert ServerMechanism.names() == ("SCRAM-SHA-256", "CRAM-MD5", "PLAIN", "LOGIN")
    assert ClientMechanism.create("plain", "a", "b").name == "PLAIN"


def test_step_after_outcome_is_our_misuse() -> None:
    server = ServerMechanism.create("PLAIN", credentials=lookup)
    assert isinstance(server.start(b"\x00alice\x00alice-pw"), Success)
    with pytest.raises(LocalProtocolError):
        server.step(b"again")


def test_login_and_cram_refuse_authzid() -> None:
    for mechanism in ("LOGIN", "CRAM-MD5"):
        with pytest.raises(ValueError):
            ClientMechanism.create(mechanism, "a", "b", authzid="c")


def test_derive_scram_credentials_is_deterministic_with_a_salt() -> None:
    one = derive_scram_credentials("pencil", salt=b"s" * 16, iterations=4096)
    two = derive_scram_credentials("pencil", salt=b"s" * 16, iterations=4096)
    assert one == two
    assert derive_scram_credentials("pencil").salt != derive_scram_credentials("pencil").salt


@settings(max_examples=200, deadline=None)
@given(
    mechanism=st.sampled_from(MECHANISMS),
    messages=st.lists(st.binary(max_size=80), min_size=1, max_size=4),
    initial=st.none() | st.binary(max_size=80),
)
def test_malformed_client_input_is_only_a_failure(
    mechanism: str, messages: list[bytes], initial: bytes | None
) -> None:
    exchange = ServerExchange(ServerMechanism.create(mechanism, credentials=lookup))
    outcome = exchange.start(initial)
    for message in messages:
        if not isinstance(outcome, Challenge):
            break
        outcome = exchange.step(message)
    assert isinstance(outcome, Challenge | Success | Failure)
    if isinstance(outcome, Success):  # only a correct password can get here
        assert mechanism in ("PLAIN", "LOGIN")


@settings(max_examples=200, deadline=None)
@given(
    mechanism=st.sampled_from(MECHANISMS),
    challenges=st.lists(st.binary(max_size=80), min_size=1, max_size=3),
)
def test_malformed_server_challenges_raise_only_sasl_client_error(
    mechanism: str, challenges: list[bytes]
) -> None:
    client = ClientMechanism.create(mechanism, "alice", "alice-pw")
    client.initial_response()
    for challenge in challenges:
        try:
            client.step(challenge)
        except SaslClientError:
            return
    if mechanism == "SCRAM-SHA-256":
        with pytest.raises(SaslClientError):  # the server never proved itself
            client.finish(None)


def test_plain_base64_on_the_wire() -> None:
    client = ClientMechanism.create("PLAIN", "alice", "alice-pw")
    assert encode_initial_response(client.initial_response()) == base64.b64encode(
        b"\x00alice\x00alice-pw"
    )
