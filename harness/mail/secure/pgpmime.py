"""PGP/MIME (RFC 3156) entities: multipart/signed and multipart/encrypted.

RFC 3156 §5: the signature covers the first part's octets exactly, MIME
headers included, in canonical CRLF form; §3 asks that the signed part be
7-bit and carry no trailing whitespace, so transports have nothing to
"fix". The signature is binary (type 0x00), not canonical text (0x01):
over text, a CRLF turned into LF would still verify, and the harness must
see that change.
"""

from __future__ import annotations

import random
from datetime import datetime

from harness.mail import mime
from harness.mail.encoding import CRLF, parameter_header
from harness.mail.mime import Leaf, Part
from harness.mail.secure.openpgp import PgpKey, armor, encrypt

SIGNATURE_TYPE = "application/pgp-signature"
ENCRYPTED_TYPE = "application/pgp-encrypted"
MICALG = "pgp-sha256"  # RFC 3156 §5: "pgp-" and the RFC 4880 §9.4 hash name


def _attachment(content_type: str, body: bytes, filename: str, description: str) -> Part:
    headers = (
        parameter_header("Content-Type", content_type, [f'name="{filename}"']),
        f"Content-Description: {description}".encode("ascii") + CRLF,
        parameter_header("Content-Disposition", "attachment", [f'filename="{filename}"']),
    )
    return Part(headers, body, (Leaf(content_type, body, filename),))


def signed_multipart(entity: Part, signer: PgpKey, boundary: str, created: datetime) -> Part:
    """RFC 3156 §5: the entity, then its detached armoured signature."""
    signature = armor(signer.detached_signature(entity.to_bytes(), created), "SIGNATURE")
    signature_part = _attachment(
        SIGNATURE_TYPE, signature, "signature.asc", "OpenPGP digital signature"
    )
    return mime.multipart(
        "signed",
        [entity, signature_part],
        boundary,
        extra_parameters=(f"micalg={MICALG}", f'protocol="{SIGNATURE_TYPE}"'),
    )


def encrypted_multipart(
    entity: Part, recipient: PgpKey, boundary: str, created: datetime, rng: random.Random
) -> Part:
    """RFC 3156 §4: a ``Version: 1`` control part, then the armoured message."""
    control_body = b"Version: 1" + CRLF
    control = Part(
        (
            f"Content-Type: {ENCRYPTED_TYPE}".encode("ascii") + CRLF,
            b"Content-Description: PGP/MIME version identification" + CRLF,
        ),
        control_body,
        (Leaf(ENCRYPTED_TYPE, control_body),),
    )
    message = armor(encrypt(entity.to_bytes(), recipient, created, rng), "MESSAGE")
    payload = _attachment(
        "application/octet-stream", message, "encrypted.asc", "OpenPGP encrypted message"
    )
    return mime.multipart(
        "encrypted",
        [control, payload],
        boundary,
        extra_parameters=(f'protocol="{ENCRYPTED_TYPE}"',),
    )
