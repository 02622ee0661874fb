"""SCRAM-SHA-256: the RFC 7677 §3 vector, verifier-only servers, tampering, SASLprep."""

from __future__ import annotations

import base64

import pytest

from harness.protocols.sasl import (
    Challenge,
    ClientMechanism,
    Credentials,
    Failure,
    FailureKind,
    SaslClientError,
    SaslPrepError,
    ServerMechanism,
    Success,
    derive_scram_credentials,
    saslprep,
)
from harness.protocols.sasl.scram import escape_saslname, unescape_saslname

# RFC 7677 §3: user "user", password "pencil".
CLIENT_FIRST = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
SERVER_FIRST = (
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
)
CLIENT_FINAL = (
    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
)
SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
SALT = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")


def rfc_server() -> ServerMechanism:
    stored = derive_scram_credentials("pencil", salt=SALT, iterations=4096)
    users = {"user": Credentials(scram_sha256=stored)}
    return ServerMechanism.create(
        "SCRAM-SHA-256", credentials=users.get, nonce=lambda: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    )


def test_rfc7677_client_side() -> None:
    client = ClientMechanism.create(
        "SCRAM-SHA-256", "user", "pencil", nonce=lambda: "rOprNGfwEbeRWgbNEkqO"
    )
    assert client.initial_response() == CLIENT_FIRST
    assert client.step(SERVER_FIRST) == CLIENT_FINAL
    client.finish(SERVER_FINAL)


def test_rfc7677_server_side_from_stored_keys_only() -> None:
    server = rfc_server()
    assert server.start(CLIENT_FIRST) == Challenge(SERVER_FIRST)
    assert server.step(CLIENT_FINAL) == Success("user", None, SERVER_FINAL)


def test_client_refuses_a_forged_server_signature() -> None:
    client = ClientMechanism.create(
        "SCRAM-SHA-256", "user", "pencil", nonce=lambda: "rOprNGfwEbeRWgbNEkqO"
    )
    client.initial_response()
    client.step(SERVER_FIRST)
    with pytest.raises(SaslClientError):
        client.step(b"v=" + base64.b64encode(b"\x00" * 32))
    with pytest.raises(SaslClientError):
        client.finish(None)


def test_client_refuses_success_without_server_final() -> None:
    client = ClientMechanism.create("SCRAM-SHA-256", "user", "pencil")
    client.initial_response()
    with pytest.raises(SaslClientError):
        client.finish(None)


@pytest.mark.parametrize(
    "server_first",
    [
        b"r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  # nonce not extended
        b"r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  # no server part
        b"r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0",
        b"r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999999",
        b"r=rOprNGfwEbeRWgbNEkqOx,s=!!,i=4096",
        b"m=ext,r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        b"e=other-error",
        b"\xff\xfe",
    ],
)
def test_client_rejects_bad_server_first(server_first: bytes) -> None:
    client = ClientMechanism.create(
        "SCRAM-SHA-256", "user", "pencil", nonce=lambda: "rOprNGfwEbeRWgbNEkqO"
    )
    client.initial_response()
    with pytest.raises(SaslClientError):
        client.step(server_first)


@pytest.mark.parametrize(
    ("client_final", "kind"),
    [
        (CLIENT_FINAL.replace(b"p=dHzb", b"p=dHzc"), FailureKind.CREDENTIALS),
        (CLIENT_FINAL.replace(b"c=biws", b"c=eSws"), FailureKind.MALFORMED),  # "y,,"
        (CLIENT_FINAL.replace(b"k0,", b"k1,"), FailureKind.MALFORMED),  # nonce changed
        (CLIENT_FINAL.split(b",p=")[0], FailureKind.MALFORMED),  # no proof
        (b"c=biws,r=x,p=AAAA", FailureKind.MALFORMED),
    ],
)
def test_server_rejects_tampered_client_final(client_final: bytes, kind: FailureKind) -> None:
    server = rfc_server()
    server.start(CLIENT_FIRST)
    outcome = server.step(client_final)
    assert isinstance(outcome, Failure)
    assert outcome.kind is kind


@pytest.mark.parametrize(
    "client_first",
    [
        b"p=tls-unique,,n=user,r=abc",
        b"n,,m=x,n=user,r=abc",
        b"q,,n=user,r=abc",
        b"n,,n=us=er,r=abc",
        b"n,,",
    ],
)
def test_server_refuses_channel_binding_and_bad_client_first(client_first: bytes) -> None:
    outcome = rfc_server().start(client_first)
    assert isinstance(outcome, Failure)
    assert outcome.kind is FailureKind.MALFORMED


def test_y_flag_is_accepted_when_no_plus_variant_is_offered() -> None:
    server = rfc_server()
    assert isinstance(server.start(b"y,,n=user,r=abc"), Challenge)


def test_unknown_user_gets_a_stable_salt_and_fails_at_the_proof() -> None:
    first = rfc_server().start(b"n,,n=ghost,r=abc")
    again = rfc_server().start(b"n,,n=ghost,r=abc")
    assert isinstance(first, Challenge) and isinstance(again, Challenge)
    assert first.data.split(b",")[1] == again.data.split(b",")[1]  # same s=


def test_saslname_escaping_round_trips() -> None:
    for name in ["plain", "a=b", "a,b", "=2C", ",,==", "ü"]:
        assert unescape_saslname(escape_saslname(name)) == name


def test_saslprep_rfc4013_examples() -> None:
    # RFC 4013 §3 examples.
    assert saslprep("I\u00adX") == "IX"
    assert saslprep("user") == "user"
    assert saslprep("USER") == "USER"
    assert saslprep("\u00aa") == "a"
    assert saslprep("\u2168") == "IX"
    with pytest.raises(SaslPrepError):
        saslprep("\u0007")
    with pytest.raises(SaslPrepError):
        saslprep("\u0627\u0031")


def test_non_ascii_space_password_matches_its_saslprep_form() -> None:
    users = {"u": Credentials.from_password("a\u00a0b")}  # NO-BREAK SPACE maps to SPACE
    client = ClientMechanism.create("SCRAM-SHA-256", "u", "a b")
    server = ServerMechanism.create("SCRAM-SHA-256", credentials=users.get)
    outcome = server.start(client.initial_response())
    assert isinstance(outcome, Challenge)
    final = server.step(client.step(outcome.data))
    assert isinstance(final, Success)
    assert final.data is not None
    client.finish(final.data)
