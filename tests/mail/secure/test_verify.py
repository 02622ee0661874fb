"""verify_message: found wherever it is nested, and never a crash on bad input."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.mail import mime
from harness.mail.corpus import CorpusMessage
from harness.mail.kinds.secure import VERIFIERS
from harness.mail.secure.entity import body_parts, split_entity
from harness.mail.secure.verify import NONE, PEM, verify_message
from tests.mail.secure import damage
from tests.mail.secure.conftest import SECURE_KINDS, of_kind

TRACE = (
    b"Return-Path: <corpus@mailharness.test>\r\n"
    b"Received: from client.test (client.test [127.0.0.1])\r\n"
    b"\tby mx.test with ESMTPS id 1a2b3c; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
)


def test_every_kind_verifies_as_generated_and_with_a_trace_block(
    secure_corpus: list[CorpusMessage],
) -> None:
    for message in secure_corpus:
        check = VERIFIERS[message.kind]
        assert check is not None
        assert check(message.raw) is None, message.name
        assert check(TRACE + message.raw) is None, message.name


def test_a_secure_part_is_found_inside_a_forwarded_message(
    secure_corpus: list[CorpusMessage],
) -> None:
    for kind in ("smime-signed", "pgp-signed", "smime-enveloped"):
        inner = of_kind(secure_corpus, kind)[0]
        forwarded = mime.message_rfc822(inner.raw, ())
        note = mime.text("Forwarded, untouched.\r\n", charset="us-ascii")
        outer = mime.multipart("mixed", [note, forwarded], "=_outer_boundary")
        raw = b"MIME-Version: 1.0\r\n" + outer.to_bytes()
        result = verify_message(raw)
        assert result.ok and result.scheme == kind, result


def test_a_message_with_nothing_secure_says_so() -> None:
    plain = b"Subject: hi\r\n\r\nJust text.\r\n"
    assert verify_message(plain).scheme == NONE
    assert verify_message(plain).problem == "no signed or encrypted part found"
    check = VERIFIERS["pgp-signed"]
    assert check is not None
    assert check(plain) == "expected pgp-signed, found no signed or encrypted part"


def test_a_kind_check_names_a_different_scheme(secure_corpus: list[CorpusMessage]) -> None:
    check = VERIFIERS["smime-signed"]
    assert check is not None
    problem = check(of_kind(secure_corpus, "pgp-signed")[0].raw)
    assert problem == "expected smime-signed, found pgp-signed"


def test_corrupt_signature_and_ciphertext_octets_are_problems(
    secure_corpus: list[CorpusMessage],
) -> None:
    markers = {
        "smime-signed": b"Content-Type: application/pkcs7-signature",
        "smime-opaque-signed": b"Content-Type: application/pkcs7-mime",
        "smime-enveloped": b"Content-Type: application/pkcs7-mime",
        "pgp-signed": b"-----BEGIN PGP SIGNATURE-----",
        "pgp-encrypted": b"-----BEGIN PGP MESSAGE-----",
        "pem-legacy": b"Proc-Type: 4,MIC-ONLY",
    }
    for kind, marker in markers.items():
        for message in of_kind(secure_corpus, kind):
            corrupt = damage.flip_base64_character(message.raw, marker)
            result = verify_message(corrupt)
            assert result.problem is not None, (message.name, result)
            assert result.scheme == verify_message(message.raw).scheme


def test_pem_blocks_are_checked(secure_corpus: list[CorpusMessage]) -> None:
    for message in of_kind(secure_corpus, "pem-legacy"):
        body = split_entity(message.raw).body
        assert body.count(b"-----BEGIN PRIVACY-ENHANCED MESSAGE-----") == 3
        for proc in (b"MIC-CLEAR", b"MIC-ONLY", b"ENCRYPTED"):
            assert b"Proc-Type: 4," + proc + b"\r\nContent-Domain: RFC822\r\n" in body
        result = verify_message(message.raw)
        assert result.ok and result.scheme == PEM
        clear_text_line = body.split(b"-----END PRIVACY-ENHANCED MESSAGE-----")[0].rsplit(
            b"\r\n", 2
        )[-2]
        altered = message.raw.replace(clear_text_line, clear_text_line + b" ")
        assert "MIC does not match" in (verify_message(altered).problem or "")
        unpaired = message.raw.replace(b"-----END PRIVACY-ENHANCED MESSAGE-----\r\n", b"", 1)
        assert "do not pair up" in (verify_message(unpaired).problem or "")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_truncated_or_mangled_messages_never_raise(
    secure_corpus: list[CorpusMessage], data: st.DataObject
) -> None:
    message = data.draw(st.sampled_from(secure_corpus))
    cut = data.draw(st.integers(0, len(message.raw)))
    position = data.draw(st.integers(0, len(message.raw) - 1))
    octet = data.draw(st.integers(0, 255))
    mangled = message.raw[:position] + bytes([octet]) + message.raw[position + 1 :]
    for raw in (message.raw[:cut], mangled):
        result = verify_message(raw)
        assert isinstance(result.problem, str | None)
    truncated = verify_message(message.raw[: len(message.raw) // 2])
    assert truncated.problem is not None


def test_truncated_signed_part_is_reported(secure_corpus: list[CorpusMessage]) -> None:
    for kind in SECURE_KINDS:
        message = of_kind(secure_corpus, kind)[0]
        top = split_entity(message.raw)
        if top.content_type.startswith("multipart/"):
            last = body_parts(top)[-1].raw
            cut = message.raw.replace(last, last[: len(last) // 2], 1)
        else:
            cut = message.raw[: len(message.raw) - 200]
        assert verify_message(cut).problem is not None, kind
