"""CMS EnvelopedData (RFC 5652 §6) written from a seeded random source.

``cryptography``'s PKCS7EnvelopeBuilder draws the content key, the IV and
the RSA padding from the system RNG, so its output differs on every run. A
corpus must not, so the same structure is written here with every random
octet drawn from the message's own ``random.Random``. The ciphers are still
``cryptography``'s (AES-256-CBC and raw RSA), and the result is read back by
``cryptography``'s own ``pkcs7_decrypt_der`` and by ``openssl cms -decrypt``
in the tests. A seeded content key is no secret: this is test material.
"""

from __future__ import annotations

import random

from cryptography import x509
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from harness.mail.secure import der

ID_DATA = "1.2.840.113549.1.7.1"
ID_ENVELOPED_DATA = "1.2.840.113549.1.7.3"
RSA_ENCRYPTION = "1.2.840.113549.1.1.1"  # RSAES-PKCS1-v1_5, RFC 3370 §4.2.1
AES256_CBC = "2.16.840.1.101.3.4.1.42"  # RFC 3565 §2.1; RFC 8551 §2.7 MUST


def pkcs1_v15_encrypt(public_key: rsa.RSAPublicKey, message: bytes, rng: random.Random) -> bytes:
    """RSAES-PKCS1-v1_5 (RFC 8017 §7.2.1) with the padding octets drawn from ``rng``.

    EM = 0x00 || 0x02 || PS || 0x00 || M, PS at least eight nonzero octets.
    """
    numbers = public_key.public_numbers()
    size = (numbers.n.bit_length() + 7) // 8
    pad_length = size - 3 - len(message)
    if pad_length < 8:
        raise ValueError("message too long for RSAES-PKCS1-v1_5 with this key")
    pad = bytes(rng.randrange(1, 256) for _ in range(pad_length))
    encoded = b"\x00\x02" + pad + b"\x00" + message
    return pow(int.from_bytes(encoded, "big"), numbers.e, numbers.n).to_bytes(size, "big")


def _recipient_info(certificate: x509.Certificate, encrypted_key: bytes) -> bytes:
    """KeyTransRecipientInfo, version 0: the recipient named by issuer and serial."""
    issuer_and_serial = der.sequence(
        certificate.issuer.public_bytes(), der.integer(certificate.serial_number)
    )
    return der.sequence(
        der.integer(0),
        issuer_and_serial,
        der.sequence(der.oid(RSA_ENCRYPTION), der.null()),
        der.octet_string(encrypted_key),
    )


def _aes_cbc(key: bytes, iv: bytes, content: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()  # RFC 5652 §6.3 content padding
    padded = padder.update(content) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def enveloped_data(content: bytes, certificate: x509.Certificate, rng: random.Random) -> bytes:
    """A DER ContentInfo holding ``content`` encrypted for ``certificate``'s RSA key."""
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise TypeError("the recipient certificate must hold an RSA key")
    content_key = rng.randbytes(32)
    iv = rng.randbytes(16)
    recipient = _recipient_info(certificate, pkcs1_v15_encrypt(public_key, content_key, rng))
    encrypted_content_info = der.sequence(
        der.oid(ID_DATA),
        der.sequence(der.oid(AES256_CBC), der.octet_string(iv)),
        der.implicit(0, _aes_cbc(content_key, iv, content)),
    )
    enveloped = der.sequence(der.integer(0), der.set_of([recipient]), encrypted_content_info)
    return der.sequence(der.oid(ID_ENVELOPED_DATA), der.explicit(0, enveloped))
