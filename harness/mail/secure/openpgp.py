"""OpenPGP (RFC 4880) packets written from seeded inputs: keys, signatures, messages.

No maintained OpenPGP library lets its caller fix the random octets and the
clock: GnuPG and Sequoia stamp signatures with the current time (Sequoia
also salts each one) and draw session keys from the system RNG. The corpus
needs the same bytes for the same seed, so it writes the few v4 packets it
uses itself, with ``cryptography`` doing the RSA, AES and hashing. What it
writes is checked by two independent implementations: Sequoia (pysequoia,
in ``harness.mail.secure.pgp``) and GnuPG (``gpg --verify`` / ``--decrypt``
in the tests).

Only what PGP/MIME (RFC 3156) needs: RSA keys, SHA-256 binary signatures,
and RSA-encrypted AES-256 messages with an MDC (SEIPD v1).
"""

from __future__ import annotations

import base64
import hashlib
import random
import struct
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

from harness.mail.secure.envelope import pkcs1_v15_encrypt
from harness.mail.secure.testkeys import NOT_BEFORE, Identity

# RFC 4880 §4.3 packet tags
TAG_PKESK, TAG_SIGNATURE, TAG_SECRET_KEY, TAG_PUBLIC_KEY = 1, 2, 5, 6
TAG_LITERAL, TAG_USER_ID, TAG_SEIPD, TAG_MDC = 11, 13, 18, 19
RSA_ALGORITHM = 1  # §9.1
AES256 = 9  # §9.2
SHA256_ID = 8  # §9.4
SIG_BINARY, SIG_POSITIVE_CERT = 0x00, 0x13  # §5.2.1
# §5.2.3.1 subpacket types
SUB_CREATED, SUB_ISSUER, SUB_PREF_SYMMETRIC, SUB_PREF_HASH = 2, 16, 11, 21
SUB_KEY_FLAGS, SUB_FEATURES, SUB_ISSUER_FINGERPRINT = 27, 30, 33
# §5.2.3.21: certify, sign, encrypt communications, encrypt storage
KEY_FLAGS_ALL = 0x01 | 0x02 | 0x04 | 0x08


def packet(tag: int, body: bytes) -> bytes:
    """A new-format packet (§4.2.2) with a one, two or five octet length."""
    size = len(body)
    if size < 192:
        length = bytes([size])
    elif size < 8384:
        size -= 192
        length = bytes([(size >> 8) + 192, size & 0xFF])
    else:
        length = b"\xff" + struct.pack(">I", size)
    return bytes([0xC0 | tag]) + length + body


def mpi(value: int) -> bytes:
    """A multiprecision integer (§3.2): bit count, then the octets."""
    return struct.pack(">H", value.bit_length()) + value.to_bytes((value.bit_length() + 7) // 8)


def _timestamp(moment: datetime) -> bytes:
    return struct.pack(">I", int(moment.timestamp()))


def _subpacket(kind: int, data: bytes) -> bytes:
    return bytes([len(data) + 1, kind]) + data  # all ours are shorter than 192 octets


@dataclass(frozen=True)
class PgpKey:
    """An identity's RSA key as an OpenPGP v4 primary key."""

    identity: Identity
    created: datetime

    @property
    def rsa(self) -> rsa.RSAPrivateKey:
        return self.identity.key

    @property
    def public_body(self) -> bytes:
        numbers = self.rsa.public_key().public_numbers()
        return (
            b"\x04"
            + _timestamp(self.created)
            + bytes([RSA_ALGORITHM])
            + mpi(numbers.n)
            + mpi(numbers.e)
        )

    @property
    def fingerprint(self) -> bytes:
        """§12.2: SHA-1 over 0x99, a two-octet length and the public key body."""
        body = self.public_body
        return hashlib.sha1(b"\x99" + struct.pack(">H", len(body)) + body).digest()

    @property
    def key_id(self) -> bytes:
        return self.fingerprint[-8:]

    def sign(self, signature_type: int, signed_prefix: bytes, hashed: bytes) -> bytes:
        """A v4 signature packet (§5.2.3) over ``signed_prefix`` and its own hashed part."""
        head = bytes([4, signature_type, RSA_ALGORITHM, SHA256_ID]) + struct.pack(">H", len(hashed))
        head += hashed
        trailer = b"\x04\xff" + struct.pack(">I", len(head))
        material = signed_prefix + head + trailer
        signature = self.rsa.sign(material, padding.PKCS1v15(), hashes.SHA256())
        unhashed = _subpacket(SUB_ISSUER, self.key_id)
        left16 = hashlib.sha256(material).digest()[:2]
        body = head + struct.pack(">H", len(unhashed)) + unhashed + left16
        return packet(TAG_SIGNATURE, body + mpi(int.from_bytes(signature, "big")))

    def _issuer_subpackets(self, created: datetime) -> bytes:
        return _subpacket(SUB_CREATED, _timestamp(created)) + _subpacket(
            SUB_ISSUER_FINGERPRINT, b"\x04" + self.fingerprint
        )

    def detached_signature(self, data: bytes, created: datetime) -> bytes:
        """A binary-document signature (type 0x00) over exactly ``data``."""
        return self.sign(SIG_BINARY, data, self._issuer_subpackets(created))

    def _certification(self) -> bytes:
        """The self-signature binding the User ID (§5.2.1 0x13, §11.1)."""
        user_id = self.identity.user_id.encode("utf-8")
        body = self.public_body
        prefix = b"\x99" + struct.pack(">H", len(body)) + body
        prefix += b"\xb4" + struct.pack(">I", len(user_id)) + user_id
        hashed = self._issuer_subpackets(self.created)
        hashed += _subpacket(SUB_KEY_FLAGS, bytes([KEY_FLAGS_ALL]))
        hashed += _subpacket(SUB_PREF_SYMMETRIC, bytes([AES256]))
        hashed += _subpacket(SUB_PREF_HASH, bytes([SHA256_ID]))
        hashed += _subpacket(SUB_FEATURES, b"\x01")  # modification detection (SEIPD)
        return self.sign(SIG_POSITIVE_CERT, prefix, hashed)

    def certificate(self) -> bytes:
        """The transferable public key (§11.1): key, User ID, self-signature."""
        user_id = packet(TAG_USER_ID, self.identity.user_id.encode("utf-8"))
        return packet(TAG_PUBLIC_KEY, self.public_body) + user_id + self._certification()

    def secret_key(self) -> bytes:
        """The transferable secret key (§11.2), unprotected: it is test material."""
        numbers = self.rsa.private_numbers()
        p, q = numbers.p, numbers.q  # testkeys orders them p < q
        secret = mpi(numbers.d) + mpi(p) + mpi(q) + mpi(pow(p, -1, q))
        checksum = struct.pack(">H", sum(secret) % 65536)
        key = packet(TAG_SECRET_KEY, self.public_body + b"\x00" + secret + checksum)
        user_id = packet(TAG_USER_ID, self.identity.user_id.encode("utf-8"))
        return key + user_id + self._certification()


@cache
def pgp_key(identity: Identity) -> PgpKey:
    return PgpKey(identity, NOT_BEFORE)


def _literal(data: bytes, created: datetime) -> bytes:
    """A literal data packet (§5.9), binary, no file name."""
    return packet(TAG_LITERAL, b"b\x00" + _timestamp(created) + data)


def encrypt(data: bytes, recipient: PgpKey, created: datetime, rng: random.Random) -> bytes:
    """PKESK (§5.1) + SEIPD with MDC (§5.13, §5.14), every random octet from ``rng``."""
    session_key = rng.randbytes(32)
    checksum = struct.pack(">H", sum(session_key) % 65536)
    public_key = recipient.rsa.public_key()
    encrypted_key = pkcs1_v15_encrypt(public_key, bytes([AES256]) + session_key + checksum, rng)
    pkesk = bytes([3]) + recipient.key_id + bytes([RSA_ALGORITHM])
    pkesk += mpi(int.from_bytes(encrypted_key, "big"))
    prefix = rng.randbytes(16)
    # §5.13: the random block, its last two octets repeated, the packets, then
    # the MDC packet whose SHA-1 covers all of that and its own two header octets.
    plain = prefix + prefix[-2:] + _literal(data, created) + b"\xd3\x14"
    plain += hashlib.sha1(plain).digest()
    # OpenPGP's CFB (§13.9) without the resynchronisation step, as SEIPD
    # requires, is plain CFB with a zero IV: the random prefix does the IV's job.
    encryptor = Cipher(algorithms.AES(session_key), CFB(b"\0" * 16)).encryptor()
    ciphertext = encryptor.update(plain) + encryptor.finalize()
    return packet(TAG_PKESK, pkesk) + packet(TAG_SEIPD, b"\x01" + ciphertext)


def _crc24(data: bytes) -> int:
    """§6.1 CRC-24 of the armoured data."""
    crc = 0xB704CE
    for octet in data:
        crc ^= octet << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def armor(data: bytes, label: str) -> bytes:
    """ASCII armour (§6.2) with CRLF line ends, 64 characters a line, and the checksum."""
    encoded = base64.b64encode(data)
    lines = [encoded[i : i + 64] for i in range(0, len(encoded), 64)]
    checksum = b"=" + base64.b64encode(_crc24(data).to_bytes(3, "big"))
    body = b"".join(line + b"\r\n" for line in [*lines, checksum])
    return (
        f"-----BEGIN PGP {label}-----\r\n\r\n".encode()
        + body
        + f"-----END PGP {label}-----\r\n".encode()
    )


def dearmor(text: bytes) -> bytes:
    """The octets inside ASCII armour, after checking its CRC-24 (ValueError otherwise).

    RFC 9580 lets readers ignore the checksum, and Sequoia does; a transit
    check should not, since a changed character may fall where no signature
    or MDC looks (a key ID, say).
    """
    lines = text.replace(b"\r\n", b"\n").split(b"\n")
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith(b"-----BEGIN PGP "))
        end = next(i for i, line in enumerate(lines) if line.startswith(b"-----END PGP "))
        blank = lines.index(b"", start)  # armour headers end at the first empty line
    except (StopIteration, ValueError):
        raise ValueError("no complete ASCII armour (RFC 4880 §6.2)") from None
    body = [line.strip() for line in lines[blank + 1 : end] if line.strip()]
    checksum = body.pop() if body and body[-1].startswith(b"=") else None
    try:
        data = base64.b64decode(b"".join(body), validate=True)
    except ValueError as error:
        raise ValueError(f"bad base64 in ASCII armour: {error}") from None
    if checksum is not None and base64.b64decode(checksum[1:]) != _crc24(data).to_bytes(3, "big"):
        raise ValueError("ASCII armour checksum mismatch: the armoured text was altered")
    return data
