"""PGP/MIME kinds checked by Sequoia (our verifier) and, independently, by GnuPG."""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime

import pysequoia
import pytest

from harness.mail import integrity
from harness.mail.corpus import CorpusMessage, generate
from harness.mail.secure import openpgp, pgp, testkeys
from harness.mail.secure.entity import body_parts, split_entity
from harness.mail.secure.verify import PGP_ENCRYPTED, PGP_SIGNED, verify_message
from tests.mail.secure.conftest import SECURE_KINDS, of_kind
from tests.mail.secure.tools import GnuPG, needs_gpg

MOMENT = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def test_our_verifier_accepts_both_pgp_kinds(secure_corpus: list[CorpusMessage]) -> None:
    for message in of_kind(secure_corpus, "pgp-signed"):
        result = verify_message(message.raw)
        assert result.ok and result.scheme == PGP_SIGNED, result.problem
        assert result.signer == openpgp.pgp_key(testkeys.sender()).fingerprint.hex()
    for message in of_kind(secure_corpus, "pgp-encrypted"):
        result = verify_message(message.raw)
        assert result.ok and result.scheme == PGP_ENCRYPTED, result.problem
        assert result.content is not None and integrity.verify(result.content)


def test_structure_follows_rfc_3156(secure_corpus: list[CorpusMessage]) -> None:
    for message in of_kind(secure_corpus, "pgp-signed"):
        top = split_entity(message.raw)
        assert top.parameter("protocol") == "application/pgp-signature"
        assert top.parameter("micalg") == "pgp-sha256"
        signed, signature = body_parts(top)
        assert signature.content_type == "application/pgp-signature"
        assert signed.raw.isascii()  # §3: 7-bit, QP for blanks at line ends
        assert b"=20\r\n" in signed.raw and b"\r\nFrom the signer" in signed.raw
    for message in of_kind(secure_corpus, "pgp-encrypted"):
        top = split_entity(message.raw)
        assert top.parameter("protocol") == "application/pgp-encrypted"
        control, payload = body_parts(top)
        assert (
            control.content_type == "application/pgp-encrypted"
            and control.body == b"Version: 1\r\n"
        )
        assert payload.content_type == "application/octet-stream"
        assert payload.body.startswith(b"-----BEGIN PGP MESSAGE-----\r\n")


@needs_gpg
def test_gpg_verifies_the_exact_signed_octets(
    secure_corpus: list[CorpusMessage], gnupg: GnuPG
) -> None:
    for message in of_kind(secure_corpus, "pgp-signed"):
        signed, signature = body_parts(split_entity(message.raw))
        data = gnupg.file(f"{message.name}.data", signed.raw)
        sig = gnupg.file(f"{message.name}.asc", signature.body)
        result = gnupg.gpg("--status-fd", "1", "--verify", str(sig), str(data))
        assert result.returncode == 0, result.stderr
        assert b"[GNUPG:] GOODSIG" in result.stdout
        damaged = gnupg.file(f"{message.name}.damaged", signed.raw.replace(b"\r\n", b"\n"))
        assert gnupg.gpg("--verify", str(sig), str(damaged)).returncode != 0


@needs_gpg
def test_gpg_decrypts_the_encrypted_kind(secure_corpus: list[CorpusMessage], gnupg: GnuPG) -> None:
    for message in of_kind(secure_corpus, "pgp-encrypted"):
        payload = body_parts(split_entity(message.raw))[1]
        armoured = gnupg.file(f"{message.name}.asc", payload.body)
        result = gnupg.gpg("--decrypt", str(armoured))
        assert result.returncode == 0, result.stderr
        assert result.stdout == verify_message(message.raw).content


@needs_gpg
def test_sequoia_accepts_a_gpg_signature(gnupg: GnuPG) -> None:
    """An independent producer: GnuPG signs with the test key, our verifier checks."""
    data = b"Content-Type: text/plain; charset=us-ascii\r\n\r\nsigned by gpg\r\n"
    path = gnupg.file("gpg-signed.data", data)
    signer = openpgp.pgp_key(testkeys.sender()).fingerprint.hex()
    result = gnupg.gpg(
        "--armor", "--local-user", signer, "--detach-sign", "--output", "-", str(path)
    )
    assert result.returncode == 0, result.stderr
    assert pgp.verify_detached(data, result.stdout) == signer
    with pytest.raises(pgp.PgpError, match="does not verify"):
        pgp.verify_detached(data + b"x", result.stdout)


def test_signatures_and_encryption_are_deterministic() -> None:
    key = openpgp.pgp_key(testkeys.sender())
    assert key.detached_signature(b"data", MOMENT) == key.detached_signature(b"data", MOMENT)
    recipient = openpgp.pgp_key(testkeys.recipient())
    first = openpgp.encrypt(b"data", recipient, MOMENT, random.Random(4))
    assert first == openpgp.encrypt(b"data", recipient, MOMENT, random.Random(4))
    assert pgp.decrypt(first) == b"data"


def test_the_signature_carries_the_seeded_time() -> None:
    key = openpgp.pgp_key(testkeys.sender())
    signature = pysequoia.Sig.from_bytes(key.detached_signature(b"data", MOMENT))
    assert signature.created == MOMENT
    assert signature.issuer_fingerprint == key.fingerprint.hex()


def test_bad_openpgp_input_is_a_problem_not_a_crash() -> None:
    key = openpgp.pgp_key(testkeys.sender())
    armoured = openpgp.armor(key.detached_signature(b"data", MOMENT), "SIGNATURE")
    with pytest.raises(pgp.PgpError):
        pgp.verify_detached(b"data", armoured[: len(armoured) // 2])
    with pytest.raises(pgp.PgpError):
        pgp.verify_detached(b"data", b"not a signature at all")
    encrypted = openpgp.encrypt(
        b"data", openpgp.pgp_key(testkeys.recipient()), MOMENT, random.Random(1)
    )
    tampered = encrypted[:-3] + bytes([encrypted[-3] ^ 1]) + encrypted[-2:]
    with pytest.raises(pgp.PgpError, match="does not decrypt"):
        pgp.decrypt(tampered)  # the MDC catches it
    with pytest.raises(pgp.PgpError):
        pgp.decrypt(encrypted[:40])


def test_armor_checksum_is_crc24() -> None:
    # RFC 4880 §6.1 reference value: CRC-24 of no octets is the initial value.
    assert openpgp.armor(b"", "MESSAGE").endswith(b"\r\n=twTO\r\n-----END PGP MESSAGE-----\r\n")


def test_dearmor_checks_the_crc() -> None:
    data = bytes(range(200))
    armoured = openpgp.armor(data, "MESSAGE")
    assert openpgp.dearmor(armoured) == data
    body_line = armoured.split(b"\r\n")[2]
    altered = armoured.replace(
        body_line, body_line[:5] + (b"B" if body_line[5:6] != b"B" else b"C") + body_line[6:]
    )
    with pytest.raises(ValueError, match="checksum mismatch"):
        openpgp.dearmor(altered)
    with pytest.raises(ValueError, match="no complete ASCII armour"):
        openpgp.dearmor(armoured[:-40])


def test_without_pysequoia_pgp_checks_are_a_problem_and_the_corpus_still_builds(
    secure_corpus: list[CorpusMessage], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pysequoia", None)  # import now raises ImportError
    message = of_kind(secure_corpus, "pgp-signed")[0]
    assert "need pysequoia" in (verify_message(message.raw).problem or "")
    rebuilt = generate(seed=5, count=len(SECURE_KINDS), kinds=SECURE_KINDS)
    assert [m.raw for m in rebuilt] == [m.raw for m in secure_corpus[: len(SECURE_KINDS)]]
