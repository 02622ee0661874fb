"""S/MIME 4.0 (RFC 8551) entities: detached and opaque signed, and enveloped.

Each builder takes a MIME entity that is already in the form to protect:
CRLF line ends and, for signing, a 7-bit-safe transfer encoding unless the
caller means to build the 8-bit variant (RFC 8551 §3.1.3 says a signed
entity SHOULD be 7-bit; RFC 1847 §2.1 forbids any agent to convert it, so an
8-bit one must be bounced by a relay that cannot carry it). The entity's
octets are signed exactly as given (the Binary option: no canonicalisation
by the library), so what is signed is what travels.

Signatures come from ``cryptography``'s PKCS7SignatureBuilder with RSA
PKCS #1 v1.5 (deterministic) and no signed attributes: signed attributes
would carry a signingTime read from the clock (RFC 8551 §2.5.1), and RFC
5652 §5.3 makes them optional for id-data content.
"""

from __future__ import annotations

import random

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from harness.mail import mime
from harness.mail.encoding import base64_body, parameter_header
from harness.mail.mime import Leaf, Part
from harness.mail.secure.envelope import enveloped_data
from harness.mail.secure.testkeys import Identity

SIGNATURE_TYPE = "application/pkcs7-signature"
MIME_TYPE = "application/pkcs7-mime"
MICALG = "sha-256"  # RFC 8551 §3.5.3.2 name for SHA-256

_OPTIONS = (pkcs7.PKCS7Options.Binary, pkcs7.PKCS7Options.NoAttributes)


def cms_signature(content: bytes, signer: Identity, *, detached: bool) -> bytes:
    """DER SignedData over ``content``, made by ``signer``'s key and certificate."""
    options = [*_OPTIONS, pkcs7.PKCS7Options.DetachedSignature] if detached else list(_OPTIONS)
    builder = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(content)
        .add_signer(signer.certificate, signer.key, hashes.SHA256())
    )
    return builder.sign(Encoding.DER, options)


def _smime_file(content_type: str, der_octets: bytes, filename: str, parameters: list[str]) -> Part:
    """A base64 S/MIME part with the ``name``/``filename`` RFC 8551 §3.2.1 expects."""
    headers = (
        parameter_header("Content-Type", content_type, [*parameters, f"name={filename}"]),
        b"Content-Transfer-Encoding: base64\r\n",
        parameter_header("Content-Disposition", "attachment", [f"filename={filename}"]),
    )
    return Part(headers, base64_body(der_octets), (Leaf(content_type, der_octets, filename),))


def signed_multipart(entity: Part, signer: Identity, boundary: str) -> Part:
    """``multipart/signed`` (RFC 1847 §2.1, RFC 8551 §3.5.3): entity + detached signature.

    RFC 2046 §5.1.1 gives the CRLF before a delimiter to the delimiter, so
    the signed octets are exactly ``entity.to_bytes()``.
    """
    signature = cms_signature(entity.to_bytes(), signer, detached=True)
    signature_part = _smime_file(SIGNATURE_TYPE, signature, "smime.p7s", [])
    return mime.multipart(
        "signed",
        [entity, signature_part],
        boundary,
        extra_parameters=(f'protocol="{SIGNATURE_TYPE}"', f"micalg={MICALG}"),
    )


def opaque_signed(entity: Part, signer: Identity) -> Part:
    """``application/pkcs7-mime; smime-type=signed-data`` (RFC 8551 §3.5.2)."""
    signed = cms_signature(entity.to_bytes(), signer, detached=False)
    return _smime_file(MIME_TYPE, signed, "smime.p7m", ["smime-type=signed-data"])


def enveloped(entity: Part, recipient: Identity, rng: random.Random) -> Part:
    """``application/pkcs7-mime; smime-type=enveloped-data`` (RFC 8551 §3.3)."""
    octets = enveloped_data(entity.to_bytes(), recipient.certificate, rng)
    return _smime_file(MIME_TYPE, octets, "smime.p7m", ["smime-type=enveloped-data"])
