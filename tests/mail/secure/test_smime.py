"""S/MIME kinds checked by our verifier and, independently, by openssl and cryptography."""

from __future__ import annotations

import random

import pytest
from cryptography.hazmat.primitives.serialization import pkcs7

from harness.mail import integrity, mime
from harness.mail.corpus import CorpusMessage
from harness.mail.secure import cms, envelope, smime, testkeys
from harness.mail.secure.entity import body_parts, split_entity
from harness.mail.secure.verify import (
    SMIME_ENVELOPED,
    SMIME_OPAQUE_SIGNED,
    SMIME_SIGNED,
    verify_message,
)
from tests.mail.secure.conftest import of_kind
from tests.mail.secure.tools import OpenSSL, needs_openssl, run

DETACHED = ("smime-signed", "smime-signed-8bit")


@pytest.mark.parametrize(
    ("kind", "scheme"),
    [
        ("smime-signed", SMIME_SIGNED),
        ("smime-signed-8bit", SMIME_SIGNED),
        ("smime-opaque-signed", SMIME_OPAQUE_SIGNED),
        ("smime-enveloped", SMIME_ENVELOPED),
    ],
)
def test_our_verifier_accepts_every_smime_kind(
    secure_corpus: list[CorpusMessage], kind: str, scheme: str
) -> None:
    for message in of_kind(secure_corpus, kind):
        result = verify_message(message.raw)
        assert result.ok and result.scheme == scheme, result.problem
        if scheme != SMIME_ENVELOPED:
            assert result.signer is not None and "corpus@mailharness.test" in result.signer


def test_signed_structure_follows_rfc_1847(secure_corpus: list[CorpusMessage]) -> None:
    for kind in DETACHED:
        for message in of_kind(secure_corpus, kind):
            top = split_entity(message.raw)
            assert top.content_type == "multipart/signed"
            assert top.parameter("protocol") == "application/pkcs7-signature"
            assert top.parameter("micalg") == "sha-256"
            parts = body_parts(top)
            assert [p.content_type for p in parts] == [
                "multipart/mixed",
                "application/pkcs7-signature",
            ]


def test_the_seven_bit_kind_is_seven_bit_and_canonical(secure_corpus: list[CorpusMessage]) -> None:
    """RFC 8551 §3.1: CRLF line ends, 7-bit-safe; trailing blanks are part of the test."""
    for message in of_kind(secure_corpus, "smime-signed"):
        signed = body_parts(split_entity(message.raw))[0].raw
        assert signed.isascii() and b"\n" not in signed.replace(b"\r\n", b"")
        assert b" \r\n" in signed and b"\t\r\n" in signed
        assert not message.needs_8bitmime
    for message in of_kind(secure_corpus, "smime-signed-8bit"):
        assert message.needs_8bitmime and b"Content-Transfer-Encoding: 8bit" in message.raw


@needs_openssl
@pytest.mark.parametrize("kind", DETACHED)
def test_openssl_verifies_the_exact_signed_octets_and_the_chain(
    secure_corpus: list[CorpusMessage], openssl: OpenSSL, kind: str
) -> None:
    for message in of_kind(secure_corpus, kind):
        parts = body_parts(split_entity(message.raw))
        content = openssl.file(f"{message.name}.content", parts[0].raw)
        signature = openssl.file(f"{message.name}.p7s", parts[1].decoded_body())
        command = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(signature)]
        result = run(
            [*command, "-content", str(content), "-CAfile", str(openssl.ca), "-out", "/dev/null"]
        )
        assert result.returncode == 0, result.stderr


@needs_openssl
@pytest.mark.parametrize("kind", DETACHED)
def test_openssl_smime_verifies_the_whole_message(
    secure_corpus: list[CorpusMessage], openssl: OpenSSL, kind: str
) -> None:
    """OpenSSL's own MIME parser, as a user would run it (-noverify: no trust store)."""
    for message in of_kind(secure_corpus, kind):
        path = openssl.file(f"{message.name}.eml", message.raw)
        result = run(["openssl", "smime", "-verify", "-noverify", "-binary", "-in", str(path)])
        assert result.returncode == 0, result.stderr
        assert result.stdout == body_parts(split_entity(message.raw))[0].raw


@needs_openssl
def test_openssl_verifies_the_opaque_kind_and_returns_the_entity(
    secure_corpus: list[CorpusMessage], openssl: OpenSSL
) -> None:
    for message in of_kind(secure_corpus, "smime-opaque-signed"):
        path = openssl.file(f"{message.name}.eml", message.raw)
        result = run(
            ["openssl", "cms", "-verify", "-binary", "-CAfile", str(openssl.ca), "-in", str(path)]
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == verify_message(message.raw).content


@needs_openssl
def test_openssl_decrypts_the_enveloped_kind(
    secure_corpus: list[CorpusMessage], openssl: OpenSSL
) -> None:
    for message in of_kind(secure_corpus, "smime-enveloped"):
        path = openssl.file(f"{message.name}.eml", message.raw)
        command = ["openssl", "cms", "-decrypt", "-binary", "-in", str(path)]
        result = run(
            [*command, "-recip", str(openssl.recipient_cert), "-inkey", str(openssl.recipient_key)]
        )
        assert result.returncode == 0, result.stderr
        assert integrity.verify(result.stdout)
        assert result.stdout == verify_message(message.raw).content


def test_cryptography_decrypts_our_seeded_envelope() -> None:
    recipient = testkeys.recipient()
    content = b"Content-Type: text/plain\r\n\r\nsealed\r\n"
    octets = envelope.enveloped_data(content, recipient.certificate, random.Random(9))
    assert pkcs7.pkcs7_decrypt_der(octets, recipient.certificate, recipient.key, []) == content
    assert octets == envelope.enveloped_data(content, recipient.certificate, random.Random(9))
    assert octets != envelope.enveloped_data(content, recipient.certificate, random.Random(10))


@needs_openssl
@pytest.mark.parametrize("nodetach", [False, True])
def test_our_verifier_accepts_openssl_signatures_with_signed_attributes(
    openssl: OpenSSL, nodetach: bool
) -> None:
    """An independent producer: openssl signs (signed attributes, BER streaming), we check."""
    entity = mime.text("Signed by openssl.  \r\nSecond line.\r\n", charset="us-ascii").to_bytes()
    source = openssl.file("openssl-content", entity)
    command = ["openssl", "smime", "-sign", "-binary", "-md", "sha256", "-in", str(source)]
    command += ["-signer", str(openssl.signer_cert), "-inkey", str(openssl.signer_key)]
    signed = run([*command, *(["-nodetach"] if nodetach else [])])
    assert signed.returncode == 0, signed.stderr
    raw = signed.stdout.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    result = verify_message(raw)
    assert result.ok, result.problem
    assert result.content == entity
    altered = raw.replace(b"Second line.", b"Second line!") if not nodetach else None
    if altered is not None:
        assert "digest mismatch" in (verify_message(altered).problem or "")


def test_a_corrupt_or_truncated_signature_is_a_problem_not_a_crash(
    secure_corpus: list[CorpusMessage],
) -> None:
    message = of_kind(secure_corpus, "smime-signed")[0]
    parts = body_parts(split_entity(message.raw))
    signature = parts[1].decoded_body()
    with pytest.raises(cms.CmsError, match="truncated"):
        cms.verify_signed_data(signature[: len(signature) // 2], parts[0].raw)
    flipped = signature[:-5] + bytes([signature[-5] ^ 1]) + signature[-4:]
    with pytest.raises(cms.CmsError, match="does not verify"):
        cms.verify_signed_data(flipped, parts[0].raw)
    with pytest.raises(cms.CmsError):
        cms.verify_signed_data(b"\x30\x03\x02\x01\x01", parts[0].raw)


def test_opaque_signed_detects_a_changed_content_octet(secure_corpus: list[CorpusMessage]) -> None:
    message = of_kind(secure_corpus, "smime-opaque-signed")[0]
    top = split_entity(message.raw)
    octets = bytearray(top.decoded_body())
    content = verify_message(message.raw).content
    assert content is not None
    octets[bytes(octets).index(content) + 40] ^= 0x20  # one letter's case inside eContent
    with pytest.raises(cms.CmsError, match="does not verify"):
        cms.verify_signed_data(bytes(octets))


def test_envelope_refuses_a_key_too_small_for_its_message() -> None:
    key = testkeys.rsa_key("tiny", bits=512)
    with pytest.raises(ValueError, match="too long"):
        envelope.pkcs1_v15_encrypt(key.public_key(), b"x" * 60, random.Random(1))


def test_signing_is_deterministic() -> None:
    entity = mime.text("same octets\r\n", charset="us-ascii")
    first = smime.cms_signature(entity.to_bytes(), testkeys.sender(), detached=True)
    assert first == smime.cms_signature(entity.to_bytes(), testkeys.sender(), detached=True)
