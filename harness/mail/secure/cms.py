"""Verify CMS SignedData (RFC 5652 §5) and open EnvelopedData, reporting faults.

``cryptography`` builds SignedData but cannot verify it, so the signature is
checked here with its primitives: find the signer's certificate, recompute
the digest, and check the signature over the content (no signed attributes)
or over the DER SET OF signed attributes, whose messageDigest must match
(RFC 5652 §5.4). Every fault, from a truncated structure to a wrong digest,
raises ``CmsError`` with a sentence a report can show.

The certificate chain is not judged here (like ``openssl smime -verify
-noverify``): a fidelity check asks whether the octets still verify, not
whom to trust. The tests check the chain with ``openssl cms -CAfile``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization.pkcs7 import pkcs7_decrypt_der

from harness.mail.secure import der
from harness.mail.secure.der import DerError, Node
from harness.mail.secure.testkeys import Identity

ID_SIGNED_DATA = "1.2.840.113549.1.7.2"
ID_ENVELOPED_DATA = "1.2.840.113549.1.7.3"
ID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"

_DIGESTS = {
    "1.3.14.3.2.26": "sha1",
    "2.16.840.1.101.3.4.2.4": "sha224",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
_HASH_CLASSES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_RSA_PKCS1 = {"1.2.840.113549.1.1." + n for n in ("1", "5", "11", "12", "13", "14")}
_ECDSA = {"1.2.840.10045.4.1", *("1.2.840.10045.4.3." + n for n in "1234")}
_ED25519 = "1.3.101.112"


class CmsError(ValueError):
    """The CMS structure is malformed, or its signature does not verify."""


@dataclass(frozen=True)
class Signed:
    """What a valid SignedData proves: this content, signed by this certificate."""

    content: bytes
    signer: x509.Certificate


def _content_info(octets: bytes, expected_type: str) -> list[Node]:
    """The fields inside ``ContentInfo { contentType, [0] EXPLICIT content }``."""
    top = der.read_one(octets).children()
    if len(top) != 2 or top[0].as_oid() != expected_type or not top[1].is_context(0):
        raise CmsError(f"not a CMS ContentInfo of type {expected_type}")
    return top[1].children()[0].children()


def _certificates(fields: list[Node]) -> list[x509.Certificate]:
    tagged = [node for node in fields if node.is_context(0) and node.constructed]
    if not tagged:
        return []
    # CertificateChoices: a plain Certificate is a SEQUENCE; the others are tagged.
    sequences = [node for node in tagged[0].children() if node.tag == der.SEQUENCE]
    return [x509.load_der_x509_certificate(node.encoded) for node in sequences]


def _signer_certificate(sid: Node, certificates: list[x509.Certificate]) -> x509.Certificate:
    for certificate in certificates:
        if sid.tag == der.SEQUENCE:  # IssuerAndSerialNumber
            issuer, serial = sid.children()
            if (
                certificate.serial_number == serial.as_int()
                and certificate.issuer.public_bytes() == issuer.encoded
            ):
                return certificate
        elif sid.is_context(0):  # [0] SubjectKeyIdentifier
            key_id = x509.SubjectKeyIdentifier.from_public_key(certificate.public_key()).digest
            if key_id == sid.content:
                return certificate
    raise CmsError("the signer's certificate is not in the message")


def _digest_name(algorithm: Node) -> str:
    name = _DIGESTS.get(algorithm.children()[0].as_oid())
    if name is None:
        raise CmsError(f"unsupported digest algorithm {algorithm.children()[0].as_oid()}")
    return name


def _check_message_digest(signed_attributes: Node, expected: bytes) -> None:
    for attribute in signed_attributes.children():
        kind, values = attribute.children()
        if kind.as_oid() == ID_MESSAGE_DIGEST:
            if values.children()[0].as_octets() != expected:
                raise CmsError("message digest mismatch: the signed content was altered")
            return
    raise CmsError("signed attributes without a messageDigest (RFC 5652 §5.3)")


def _check_signature(
    certificate: x509.Certificate, algorithm: str, digest: str, signature: bytes, data: bytes
) -> None:
    key = certificate.public_key()
    chosen = _HASH_CLASSES[digest]()
    try:
        if algorithm in _RSA_PKCS1 and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), chosen)
        elif algorithm in _ECDSA and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(chosen))
        elif algorithm == _ED25519 and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            raise CmsError(f"unsupported signature algorithm {algorithm} for this key")
    except InvalidSignature:
        raise CmsError("signature does not verify: the signed content was altered") from None


def _verify_signer(info: Node, content: bytes, certificates: list[x509.Certificate]) -> Signed:
    fields = info.children()
    sid, digest_algorithm = fields[1], fields[2]
    certificate = _signer_certificate(sid, certificates)
    digest = _digest_name(digest_algorithm)
    rest = fields[3:]
    attributes = rest.pop(0) if rest and rest[0].is_context(0) else None
    signature_algorithm, signature = rest[0].children()[0].as_oid(), rest[1].as_octets()
    data = content
    if attributes is not None:
        _check_message_digest(attributes, hashlib.new(digest, content).digest())
        # RFC 5652 §5.4: the signature covers the attributes' DER with a SET OF tag.
        data = bytes([der.SET]) + attributes.encoded[1:]
    _check_signature(certificate, signature_algorithm, digest, signature, data)
    return Signed(content, certificate)


def verify_signed_data(octets: bytes, detached_content: bytes | None = None) -> Signed:
    """Check a DER/BER SignedData; ``detached_content`` for multipart/signed."""
    try:
        fields = _content_info(octets, ID_SIGNED_DATA)
        encapsulated = fields[2].children()
        if detached_content is None:
            if len(encapsulated) < 2:
                raise CmsError("signed-data without content and no detached content given")
            content = encapsulated[1].children()[0].as_octets()
        else:
            content = detached_content
        signer_infos = fields[-1].children()
        if not signer_infos:
            raise CmsError("signed-data with no signer")
        return _verify_signer(signer_infos[0], content, _certificates(fields))
    except (DerError, IndexError, ValueError) as error:
        if isinstance(error, CmsError):
            raise
        raise CmsError(f"malformed signed-data: {error or type(error).__name__}") from None


def decrypt_enveloped_data(octets: bytes, recipient: Identity) -> bytes:
    """The content of an EnvelopedData, opened with ``recipient``'s key by ``cryptography``."""
    try:
        return pkcs7_decrypt_der(octets, recipient.certificate, recipient.key, [])
    except ValueError as error:
        raise CmsError(f"enveloped-data does not decrypt: {error}") from None
