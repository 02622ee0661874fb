"""Signed and encrypted mail: S/MIME, PGP/MIME and legacy PEM (``harness.mail.secure``).

A server that re-encodes, re-wraps or strips any of these breaks it, so each
signed entity is built to be fragile in the ways servers go wrong: lines
ending in spaces and tabs (S/MIME; RFC 3156 §3 forbids them in PGP/MIME,
where they travel as quoted-printable ``=20``), a long line to re-wrap, a
``From `` line to escape, base64 in 64-character lines a gateway might
re-wrap to 76, and folded Content-Type fields. Each kind's ``verify`` (also
in ``VERIFIERS``) checks a retrieved copy; the keys are
``harness.mail.secure.testkeys`` (TEST ONLY).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harness.mail import mime
from harness.mail.encoding import CRLF, base64_body, parameter_header
from harness.mail.integrity import stamp
from harness.mail.kinds.base import Built, Draft, Kind, header
from harness.mail.mime import Leaf, Part
from harness.mail.secure import pem, pgpmime, smime, testkeys
from harness.mail.secure import verify as checks
from harness.mail.secure.openpgp import pgp_key
from harness.mail.text import UTF8_SAMPLES, sentence, words

_SIGNED_IN = datetime(2024, 1, 1, tzinfo=UTC)


def _lines(draft: Draft) -> list[str]:
    rng = draft.rng
    return [
        sentence(rng),
        f"{sentence(rng)}  ",  # trailing blanks: stripped by careless transports
        f"{sentence(rng)}\t",
        "From the signer: a line an mbox store would escape as >From",
        " ".join(words(rng, 40) for _ in range(3)),  # ~600 octets: a line to re-wrap
        "",
        sentence(rng),
        "",
    ]


def _attachment(draft: Draft) -> Part:
    """A small binary attachment in base64 lines of 64, not the usual 76."""
    payload = draft.binary_payload(draft.rng.randint(300, 1500))
    headers = (
        parameter_header("Content-Type", "application/octet-stream", ['name="data.bin"']),
        b"Content-Transfer-Encoding: base64" + CRLF,
        parameter_header("Content-Disposition", "attachment", ['filename="data.bin"']),
    )
    return Part(
        headers, base64_body(payload, 64), (Leaf("application/octet-stream", payload, "data.bin"),)
    )


def _entity(draft: Draft, text: Part) -> Part:
    return mime.multipart("mixed", [text, _attachment(draft)], draft.boundary())


def _smime_entity(draft: Draft, *, eight_bit: bool = False) -> Part:
    if eight_bit:
        body = "\r\n".join([*draft.rng.sample(UTF8_SAMPLES, 3), *_lines(draft)])
        text = mime.text(body.encode(), transfer_encoding="8bit")
    else:
        text = mime.text("\r\n".join(_lines(draft)).encode(), charset="us-ascii")
    return _entity(draft, text)


def _pgp_entity(draft: Draft) -> Part:
    body = "\r\n".join(_lines(draft)).encode()
    return _entity(draft, mime.text(body, charset="us-ascii", transfer_encoding="quoted-printable"))


def _stamped(entity: Part) -> Part:
    """``entity`` behind an X-Mailharness-Hash line, so a decryption can be checked."""
    octets = stamp(entity.to_bytes())
    hash_line = octets[: octets.index(CRLF) + 2]
    return Part((hash_line, *entity.headers), entity.body, entity.leaves)


def _subject(text: str) -> tuple[bytes, ...]:
    return (header("Subject", f"{text} (mailharness corpus, TEST KEYS)"),)


def _signing_time(draft: Draft) -> datetime:
    return _SIGNED_IN + timedelta(seconds=draft.rng.randrange(366 * 24 * 3600))


def smime_signed(draft: Draft) -> Built:
    signed = smime.signed_multipart(_smime_entity(draft), testkeys.sender(), draft.boundary())
    return Built(signed, headers=_subject("S/MIME signed"))


def smime_signed_8bit(draft: Draft) -> Built:
    entity = _smime_entity(draft, eight_bit=True)
    signed = smime.signed_multipart(entity, testkeys.sender(), draft.boundary())
    return Built(signed, headers=_subject("S/MIME signed, 8-bit first part"))


def smime_opaque_signed(draft: Draft) -> Built:
    signed = smime.opaque_signed(_smime_entity(draft), testkeys.sender())
    return Built(signed, headers=_subject("S/MIME opaque signed"))


def smime_enveloped(draft: Draft) -> Built:
    entity = _stamped(_smime_entity(draft))
    return Built(
        smime.enveloped(entity, testkeys.recipient(), draft.rng),
        headers=_subject("S/MIME enveloped"),
    )


def pgp_signed(draft: Draft) -> Built:
    entity = _pgp_entity(draft)
    signer = pgp_key(testkeys.sender())
    signed = pgpmime.signed_multipart(entity, signer, draft.boundary(), _signing_time(draft))
    return Built(signed, headers=_subject("PGP/MIME signed"))


def pgp_encrypted(draft: Draft) -> Built:
    entity = _stamped(_pgp_entity(draft))
    recipient = pgp_key(testkeys.recipient())
    encrypted = pgpmime.encrypted_multipart(
        entity, recipient, draft.boundary(), _signing_time(draft), draft.rng
    )
    return Built(encrypted, headers=_subject("PGP/MIME encrypted"))


def pem_legacy(draft: Draft) -> Built:
    rng = draft.rng
    signer = testkeys.sender()
    clear_text = "\r\n".join([sentence(rng), sentence(rng), ""]).encode()
    hidden_text = "\r\n".join([sentence(rng), ""]).encode()
    intro = b"RFC 1421 Privacy-Enhanced Mail fixtures (TEST KEYS; the ENCRYPTED block is filler).\r\n\r\n"
    body = (
        intro
        + pem.mic_block(clear_text, signer, clear=True)
        + CRLF
        + pem.mic_block(hidden_text, signer, clear=False)
        + CRLF
        + pem.encrypted_block(rng, signer)
    )
    return Built(mime.text(body, charset="us-ascii"), headers=_subject("PEM legacy fixture"))


# Each kind's check of a retrieved copy: the scheme it must still have, verified.
VERIFIERS = {
    name: checks.problem_for(scheme)
    for name, scheme in (
        ("smime-signed", checks.SMIME_SIGNED),
        ("smime-signed-8bit", checks.SMIME_SIGNED),
        ("smime-opaque-signed", checks.SMIME_OPAQUE_SIGNED),
        ("smime-enveloped", checks.SMIME_ENVELOPED),
        ("pgp-signed", checks.PGP_SIGNED),
        ("pgp-encrypted", checks.PGP_ENCRYPTED),
        ("pem-legacy", checks.PEM),
    )
}

KINDS = (
    Kind(
        "smime-signed",
        "S/MIME multipart/signed (RFC 8551): trailing blanks, long line, base64 in 64s",
        smime_signed,
        (
            "SEC-SIGNED-OPAQUE",
            "SEC-SIGNED-STRUCTURE",
            "SEC-SMIME-CANON",
            "SEC-NO-REWRAP-NO-WS",
            "XP-SIGNED-E2E",
        ),
        verify=VERIFIERS["smime-signed"],
    ),
    Kind(
        "smime-signed-8bit",
        "S/MIME multipart/signed with an 8bit first part: bounce, never convert (8BITMIME)",
        smime_signed_8bit,
        ("SEC-SMIME-7BIT-SIGNED", "SEC-SIGNED-OPAQUE", "MIME-8BIT-BINARY", "XP-SIGNED-E2E"),
        verify=VERIFIERS["smime-signed-8bit"],
    ),
    Kind(
        "smime-opaque-signed",
        "S/MIME application/pkcs7-mime; smime-type=signed-data",
        smime_opaque_signed,
        ("SEC-SMIME-PKCS7-MIME",),
        verify=VERIFIERS["smime-opaque-signed"],
    ),
    Kind(
        "smime-enveloped",
        "S/MIME application/pkcs7-mime; smime-type=enveloped-data (AES-256-CBC, RSA)",
        smime_enveloped,
        ("SEC-SMIME-PKCS7-MIME",),
        verify=VERIFIERS["smime-enveloped"],
    ),
    Kind(
        "pgp-signed",
        "PGP/MIME multipart/signed (RFC 3156): QP =20 blanks, a From line, base64 in 64s",
        pgp_signed,
        ("SEC-PGP-SIGNED", "SEC-SIGNED-STRUCTURE", "SEC-NO-FROM-MUNGING", "XP-SIGNED-E2E"),
        verify=VERIFIERS["pgp-signed"],
    ),
    Kind(
        "pgp-encrypted",
        "PGP/MIME multipart/encrypted (RFC 3156): Version: 1 + armoured message",
        pgp_encrypted,
        ("SEC-PGP-ENCRYPTED",),
        verify=VERIFIERS["pgp-encrypted"],
    ),
    Kind(
        "pem-legacy",
        "RFC 1421 PEM blocks (MIC-CLEAR, MIC-ONLY, ENCRYPTED) in a text body: fixtures",
        pem_legacy,
        ("XP-SMTP-IMAP-BYTES", "XP-SMTP-POP3-BYTES"),
        verify=VERIFIERS["pem-legacy"],
    ),
)
