"""Password hashes for storage, and SASL credentials checked against RFC vectors."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.protocols.sasl import cram_md5_digest, derive_scram_credentials
from harness.server.credentials import (
    BadPasswordHash,
    credential_lookup,
    hash_password,
    parse_password_hash,
    verify_password,
)


@settings(max_examples=25, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_a_hash_verifies_its_own_password_only(password: str, other: str) -> None:
    stored = hash_password(password, iterations=10)
    assert verify_password(password, stored)
    assert verify_password(other, stored) == (other == password)


def test_hash_is_salted_and_self_describing() -> None:
    first, second = hash_password("pw", iterations=1000), hash_password("pw", iterations=1000)
    assert first != second  # a fresh salt each time
    iterations, salt, digest = parse_password_hash(first)
    assert (iterations, len(salt), len(digest)) == (1000, 16, 32)
    assert first.startswith("pbkdf2-sha256$1000$")


def test_hash_matches_plain_pbkdf2() -> None:
    stored = hash_password("alicepw", iterations=2, salt=b"saltsalt")
    expected = hashlib.pbkdf2_hmac("sha256", b"alicepw", b"saltsalt", 2)
    assert parse_password_hash(stored)[2] == expected


@pytest.mark.parametrize(
    "broken",
    [
        "",
        "md5$1$a$b",
        "pbkdf2-sha256$x$AAAA$AAAA",
        "pbkdf2-sha256$0$AAAA$AAAA",
        "pbkdf2-sha256$5$!!$AA",
    ],
)
def test_malformed_hashes_are_rejected(broken: str) -> None:
    with pytest.raises(BadPasswordHash):
        verify_password("pw", broken)


def test_scram_verifier_reproduces_the_rfc_7677_exchange() -> None:
    # RFC 7677 §3: user "user", password "pencil", salt and nonces as below.
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    auth_message = (
        b"n=user,r=rOprNGfwEbeRWgbNEkqO,"
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    )
    proof = base64.b64decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    scram = derive_scram_credentials("pencil", salt=salt, iterations=4096)
    client_signature = hmac.digest(scram.stored_key, auth_message, "sha256")
    client_key = bytes(a ^ b for a, b in zip(proof, client_signature, strict=True))
    assert hashlib.sha256(client_key).digest() == scram.stored_key
    server_signature = hmac.digest(scram.server_key, auth_message, "sha256")
    assert base64.b64encode(server_signature) == b"6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_lookup_checks_passwords_without_keeping_plaintext_unless_cram_md5() -> None:
    accounts = [("alice@Example.Test", "alicepw")]
    without = credential_lookup(accounts, cram_md5=False)
    alice = without("alice@example.TEST")  # the domain part is case-insensitive
    assert alice is not None and alice.password is None and alice.scram_sha256 is not None
    verifier = alice.scram_sha256
    assert verifier.iterations == 4096  # RFC 7677 §4's floor
    assert verifier == derive_scram_credentials("alicepw", salt=verifier.salt, iterations=4096)
    assert alice.verify_password("alicepw") and not alice.verify_password("bobpw")
    assert without("Alice@example.test") is None  # the local part is not
    assert without("mallory@example.test") is None
    with_cram = credential_lookup(accounts, cram_md5=True)("alice@example.test")
    assert with_cram is not None and with_cram.password == "alicepw"
    # RFC 2195 §2 keys HMAC-MD5 with the secret: only a plaintext can answer it.
    assert cram_md5_digest(with_cram.password, b"<1896.697170952@postoffice.example>")
