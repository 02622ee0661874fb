"""Does a message's signature still verify, and does its encrypted part still open?

``verify_message(raw)`` finds the first signed or encrypted entity in a
message (at the top or nested in multipart and message/rfc822 parts) and
checks it on the octets exactly as received: S/MIME with ``cms`` (the
``cryptography`` primitives), PGP/MIME with Sequoia, PEM blocks by their
MICs. Encrypted content must decrypt to an entity whose X-Mailharness-Hash
(``harness.mail.integrity``) still matches, so a corrupted ciphertext is
caught even where the cipher has no integrity check of its own.

Every fault in the input (no secure part, a truncated signature, bad
base64, a wrong digest) comes back as ``VerifyResult.problem``, a sentence
for a report; nothing raises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.mail import integrity
from harness.mail.secure import cms, pem, pgp, testkeys
from harness.mail.secure.entity import Entity, EntityError, body_parts, split_entity
from harness.mail.secure.openpgp import dearmor

SMIME_SIGNED = "smime-signed"
SMIME_OPAQUE_SIGNED = "smime-opaque-signed"
SMIME_ENVELOPED = "smime-enveloped"
PGP_SIGNED = "pgp-signed"
PGP_ENCRYPTED = "pgp-encrypted"
PEM = "pem"
NONE = "none"

_PKCS7_SIGNATURE = ("application/pkcs7-signature", "application/x-pkcs7-signature")
_PKCS7_MIME = ("application/pkcs7-mime", "application/x-pkcs7-mime")
_MAX_DEPTH = 20  # nesting deeper than this is not looked into


@dataclass(frozen=True)
class VerifyResult:
    """What was found and whether it checked out."""

    scheme: str  # one of the constants above; NONE when nothing was found
    problem: str | None  # None when it verified
    signer: str | None = None  # certificate subject or OpenPGP fingerprint
    content: bytes | None = None  # the signed or decrypted entity, as checked

    @property
    def ok(self) -> bool:
        return self.problem is None


def _two_parts(entity: Entity, second_types: tuple[str, ...]) -> tuple[Entity, Entity]:
    """RFC 1847 §2.1/§2.2: exactly two body parts, the second of the protocol's type."""
    parts = body_parts(entity)
    if len(parts) != 2:
        raise EntityError(f"{entity.content_type} with {len(parts)} parts, RFC 1847 wants 2")
    if parts[1].content_type not in second_types:
        raise EntityError(f"second part is {parts[1].content_type}, not {second_types[0]}")
    return parts[0], parts[1]


def _smime_signed(entity: Entity) -> VerifyResult:
    content, signature = _two_parts(entity, _PKCS7_SIGNATURE)
    signed = cms.verify_signed_data(signature.decoded_body(), content.raw)
    return VerifyResult(SMIME_SIGNED, None, signed.signer.subject.rfc4514_string(), content.raw)


def _checked_plaintext(scheme: str, plaintext: bytes) -> VerifyResult:
    if integrity.claimed_digest(plaintext) is None:
        return VerifyResult(scheme, "decrypted content has no X-Mailharness-Hash to check", None)
    if not integrity.verify(plaintext):
        return VerifyResult(scheme, "decrypted content does not match its X-Mailharness-Hash")
    return VerifyResult(scheme, None, None, plaintext)


def _smime_opaque(entity: Entity) -> VerifyResult:
    octets = entity.decoded_body()
    smime_type = (entity.parameter("smime-type") or "").lower()
    if smime_type == "enveloped-data":
        plaintext = cms.decrypt_enveloped_data(octets, testkeys.recipient())
        return _checked_plaintext(SMIME_ENVELOPED, plaintext)
    if smime_type not in ("signed-data", ""):
        raise EntityError(f"unsupported smime-type {smime_type}")
    signed = cms.verify_signed_data(octets)
    subject = signed.signer.subject.rfc4514_string()
    return VerifyResult(SMIME_OPAQUE_SIGNED, None, subject, signed.content)


def _armoured(entity: Entity) -> bytes:
    """The OpenPGP octets of an armoured part, its checksum checked."""
    text = entity.decoded_body() if entity.transfer_encoding == "base64" else entity.body
    return dearmor(text)


def _pgp_signed(entity: Entity) -> VerifyResult:
    if not (entity.parameter("micalg") or "").lower().startswith("pgp-"):
        raise EntityError("PGP/MIME signed without a pgp- micalg (RFC 3156 §5)")
    content, signature = _two_parts(entity, ("application/pgp-signature",))
    fingerprint = pgp.verify_detached(content.raw, _armoured(signature))
    return VerifyResult(PGP_SIGNED, None, fingerprint, content.raw)


def _pgp_encrypted(entity: Entity) -> VerifyResult:
    control, payload = _two_parts(entity, ("application/octet-stream",))
    if control.content_type != "application/pgp-encrypted" or b"Version: 1" not in control.body:
        raise EntityError("first part is not application/pgp-encrypted with Version: 1")
    return _checked_plaintext(PGP_ENCRYPTED, pgp.decrypt(_armoured(payload)))


def _pem(entity: Entity) -> VerifyResult:
    signer = testkeys.sender()
    if pem.check_blocks(entity.body, signer) == 0:
        raise EntityError("PEM BEGIN line without a complete block")
    return VerifyResult(PEM, None, signer.certificate.subject.rfc4514_string(), entity.body)


def _scheme(entity: Entity) -> str | None:
    """The scheme ``entity`` itself announces (RFC 1847 protocol, smime-type), if any."""
    content_type = entity.content_type
    protocol = (entity.parameter("protocol") or "").lower()
    if content_type == "multipart/signed" and protocol in _PKCS7_SIGNATURE:
        return SMIME_SIGNED
    if content_type == "multipart/signed" and protocol == "application/pgp-signature":
        return PGP_SIGNED
    if content_type == "multipart/encrypted" and protocol == "application/pgp-encrypted":
        return PGP_ENCRYPTED
    if content_type in _PKCS7_MIME:
        enveloped = (entity.parameter("smime-type") or "").lower() == "enveloped-data"
        return SMIME_ENVELOPED if enveloped else SMIME_OPAQUE_SIGNED
    if content_type.startswith("text/") and pem.BEGIN in entity.body:
        return PEM
    return None


_HANDLERS: dict[str, Callable[[Entity], VerifyResult]] = {
    SMIME_SIGNED: _smime_signed,
    SMIME_OPAQUE_SIGNED: _smime_opaque,
    SMIME_ENVELOPED: _smime_opaque,
    PGP_SIGNED: _pgp_signed,
    PGP_ENCRYPTED: _pgp_encrypted,
    PEM: _pem,
}


def _find(entity: Entity, depth: int = 0) -> tuple[Entity, str] | None:
    scheme = _scheme(entity)
    if scheme is not None:
        return entity, scheme
    if depth >= _MAX_DEPTH:
        return None
    if entity.content_type.startswith("multipart/"):
        for part in body_parts(entity):
            found = _find(part, depth + 1)
            if found:
                return found
    elif entity.content_type == "message/rfc822":
        return _find(split_entity(entity.body), depth + 1)
    return None


def verify_message(raw: bytes) -> VerifyResult:
    """Check the first signed or encrypted entity of ``raw``; never raises on bad input."""
    scheme = NONE
    try:
        found = _find(split_entity(raw))
        if found is None:
            return VerifyResult(NONE, "no signed or encrypted part found")
        entity, scheme = found
        return _HANDLERS[scheme](entity)
    except (ValueError, IndexError) as error:
        # DerError, CmsError, PgpError, EntityError and UnicodeError are all ValueErrors.
        return VerifyResult(scheme, str(error) or type(error).__name__)


def problem_for(expected_scheme: str) -> Callable[[bytes], str | None]:
    """A per-kind check: None when ``raw`` has the expected scheme and it verifies."""

    def check(raw: bytes) -> str | None:
        result = verify_message(raw)
        if result.scheme != expected_scheme:
            found = "no signed or encrypted part" if result.scheme == NONE else result.scheme
            return f"expected {expected_scheme}, found {found}"
        return None if result.problem is None else f"{result.scheme}: {result.problem}"

    check.__name__ = f"verify_{expected_scheme.replace('-', '_')}"
    return check
