"""Test keys and certificates derived from fixed names: TEST ONLY, never secret.

The corpus must be the same bytes for the same seed, and ``cryptography``
cannot seed RSA key generation, so RSA keys are found here from a seeded
search for primes (sieve, then Miller-Rabin). Anyone can derive the same
private keys from this file: they protect nothing and must never be used
outside a test. Nothing is written to disk or committed; the first use in a
process costs a fraction of a second per key, later uses are cached.

The certificate authority is Ed25519, whose keys come straight from 32 seed
octets and whose signatures are deterministic, so the certificates are
fixed too (validity dates are constants, never the clock).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

RSA_BITS = 2048
PUBLIC_EXPONENT = 65537
NOT_BEFORE = datetime(2023, 1, 1, tzinfo=UTC)
NOT_AFTER = datetime(2053, 1, 1, tzinfo=UTC)

_SIEVE_LIMIT = 1 << 16
_SIEVE_SPAN = 4096  # odd candidates examined per sieve window


def _small_primes(limit: int) -> tuple[int, ...]:
    composite = bytearray(limit)
    for number in range(2, int(limit**0.5) + 1):
        if not composite[number]:
            composite[number * number :: number] = b"\1" * len(
                range(number * number, limit, number)
            )
    return tuple(number for number in range(3, limit) if not composite[number])


_SMALL_PRIMES = _small_primes(_SIEVE_LIMIT)


def _probably_prime(candidate: int, rng: random.Random, rounds: int) -> bool:
    """Miller-Rabin, base 2 first, then bases from ``rng``."""
    odd, twos = candidate - 1, 0
    while odd % 2 == 0:
        odd, twos = odd // 2, twos + 1
    for round_number in range(rounds):
        base = 2 if round_number == 0 else rng.randrange(3, candidate - 2)
        value = pow(base, odd, candidate)
        if value in (1, candidate - 1):
            continue
        for _ in range(twos - 1):
            value = pow(value, 2, candidate)
            if value == candidate - 1:
                break
        else:
            return False
    return True


def _sieved_offsets(start: int) -> list[int]:
    """Offsets k such that start + 2k has no prime factor below the sieve limit."""
    struck = bytearray(_SIEVE_SPAN)
    for prime in _SMALL_PRIMES:
        # start + 2k = 0 (mod prime)  <=>  k = -start * 2^-1 (mod prime)
        first = (-start * pow(2, -1, prime)) % prime
        struck[first::prime] = b"\1" * len(range(first, _SIEVE_SPAN, prime))
    return [offset for offset, hit in enumerate(struck) if not hit]


def _prime(rng: random.Random, bits: int) -> int:
    """A random prime of exactly ``bits`` bits with gcd(p - 1, e) = 1.

    Five Miller-Rabin rounds suffice for random (not adversarial) 1024-bit
    candidates (FIPS 186-4 table C.2); the top two bits set make the
    product of two such primes exactly twice as long.
    """
    while True:
        start = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        for offset in _sieved_offsets(start):
            candidate = start + 2 * offset
            if candidate.bit_length() != bits or (candidate - 1) % PUBLIC_EXPONENT == 0:
                continue
            if _probably_prime(candidate, rng, rounds=5):
                return candidate


@cache
def rsa_key(label: str, bits: int = RSA_BITS) -> rsa.RSAPrivateKey:
    """The RSA key for ``label``: always the same key for the same label."""
    rng = random.Random(f"mailharness-test-rsa:{label}:{bits}")
    p = _prime(rng, bits // 2)
    q = _prime(rng, bits // 2)
    while q == p:
        q = _prime(rng, bits // 2)
    p, q = min(p, q), max(p, q)  # OpenPGP (RFC 4880 §5.5.3) wants p < q
    d = pow(PUBLIC_EXPONENT, -1, (p - 1) * (q - 1))
    public = rsa.RSAPublicNumbers(PUBLIC_EXPONENT, p * q)
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=rsa.rsa_crt_dmp1(d, p),
        dmq1=rsa.rsa_crt_dmq1(d, q),
        iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=public,
    )
    return numbers.private_key()


@cache
def ca_key() -> ed25519.Ed25519PrivateKey:
    seed = hashlib.sha256(b"mailharness-test-ca").digest()
    return ed25519.Ed25519PrivateKey.from_private_bytes(seed)


CA_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mailharness"),
        x509.NameAttribute(NameOID.COMMON_NAME, "mailharness TEST ONLY certificate authority"),
    ]
)


@cache
def ca_certificate() -> x509.Certificate:
    key = ca_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(CA_NAME)
        .issuer_name(CA_NAME)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    return builder.sign(key, None)


def _usage(*, cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=not cert_sign,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass(frozen=True)
class Identity:
    """A test person: a name, an address, an RSA key and its S/MIME certificate."""

    display_name: str
    address: str
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def user_id(self) -> str:
        """The OpenPGP User ID (RFC 4880 §5.11): ``Name <address>``."""
        return f"{self.display_name} <{self.address}>"


def _certificate_for(display_name: str, address: str, key: rsa.RSAPrivateKey) -> x509.Certificate:
    serial = int.from_bytes(hashlib.sha256(address.encode()).digest()[:8], "big")
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, display_name),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, address),
        ]
    )
    ca_public = ca_key().public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(CA_NAME)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(address)]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public), critical=False
        )
    )
    return builder.sign(ca_key(), None)


def _identity(display_name: str, address: str) -> Identity:
    key = rsa_key(address)
    return Identity(display_name, address, key, _certificate_for(display_name, address, key))


@cache
def sender() -> Identity:
    """Who signs: the corpus's default From address."""
    return _identity("Mailharness Corpus (TEST KEY)", "corpus@mailharness.test")


@cache
def recipient() -> Identity:
    """Who can decrypt: the corpus's default To address."""
    return _identity("Corpus Recipient (TEST KEY)", "recipient@mailharness.test")


SIGNATURE_HASH = hashes.SHA256()
