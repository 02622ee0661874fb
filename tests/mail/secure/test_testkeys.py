"""The derived test keys: the same every time, sound, and labelled TEST ONLY."""

from __future__ import annotations

import random

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from harness.mail.secure import testkeys


def test_keys_are_derived_from_their_label() -> None:
    derive = testkeys.rsa_key.__wrapped__  # past the cache: a fresh derivation
    first = derive("corpus@mailharness.test").private_numbers()
    assert first == testkeys.sender().key.private_numbers()
    assert derive("someone-else").private_numbers() != first
    assert first.public_numbers.n.bit_length() == testkeys.RSA_BITS
    assert first.p < first.q


def test_derived_keys_sign_and_verify() -> None:
    key = testkeys.recipient().key
    signature = key.sign(b"m", padding.PKCS1v15(), hashes.SHA256())
    key.public_key().verify(signature, b"m", padding.PKCS1v15(), hashes.SHA256())


def test_miller_rabin_tells_primes_from_composites() -> None:
    rng = random.Random(0)
    mersenne = 2**521 - 1
    assert testkeys._probably_prime(mersenne, rng, rounds=5)
    assert not testkeys._probably_prime(mersenne * (2**127 - 1), rng, rounds=5)
    carmichael = 561
    assert not testkeys._probably_prime(carmichael, rng, rounds=5)


def test_certificates_chain_to_the_test_ca_and_say_test_only() -> None:
    ca = testkeys.ca_certificate()
    assert "TEST ONLY" in ca.subject.rfc4514_string()
    for who in (testkeys.sender(), testkeys.recipient()):
        who.certificate.verify_directly_issued_by(ca)
        assert "TEST KEY" in who.certificate.subject.rfc4514_string()
        assert who.certificate.not_valid_before_utc == testkeys.NOT_BEFORE
    assert (
        testkeys.sender().certificate
        == testkeys._identity(
            "Mailharness Corpus (TEST KEY)", "corpus@mailharness.test"
        ).certificate
    )
