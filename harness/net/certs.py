"""Self-signed certificates for loopback test servers, cached per data directory.

The bundled server needs a certificate for STARTTLS and implicit TLS without the
user running openssl. One is generated with ``cryptography`` on first use and
kept beside the server's data, so restarts reuse it and a client (or a target
file's ``ca_file``) can trust it. Names cover every way a test reaches a
loopback server: ``localhost``, ``127.0.0.1`` and ``::1``.
"""

from __future__ import annotations

import datetime
import fcntl
import ipaddress
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOOPBACK_NAMES = ("localhost",)
LOOPBACK_ADDRESSES = ("127.0.0.1", "::1")
VALIDITY = datetime.timedelta(days=365)
RENEW_BEFORE = datetime.timedelta(days=1)  # never hand out a cert about to expire mid-run
_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


@dataclass(frozen=True)
class CertificatePaths:
    cert: Path
    key: Path


def ensure_self_signed(directory: str | os.PathLike[str]) -> CertificatePaths:
    """Return cert.pem/key.pem in ``directory``, generating them if absent or stale.

    Safe when several processes start servers on the same data dir at once: a
    file lock makes one of them generate and the others reuse its pair.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths = cached_certificate_paths(folder)
    with _exclusive_lock(folder / ".cert.lock"):
        if not _still_usable(paths):
            cert_pem, key_pem = generate_self_signed()
            _write_atomically(paths.key, key_pem, mode=0o600)
            _write_atomically(paths.cert, cert_pem, mode=0o644)
    return paths


def cached_certificate_paths(directory: str | os.PathLike[str]) -> CertificatePaths:
    """Where ``ensure_self_signed`` keeps the pair for ``directory`` (nothing is generated)."""
    folder = Path(directory)
    return CertificatePaths(cert=folder / "cert.pem", key=folder / "key.pem")


def generate_self_signed(common_name: str = "localhost") -> tuple[bytes, bytes]:
    """A fresh (certificate PEM, private key PEM) pair for the loopback names."""
    # P-256 keys generate in microseconds (RSA takes ~100 ms) and every TLS 1.2+
    # client we test with accepts them.
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    alt_names: list[x509.GeneralName] = [x509.DNSName(host) for host in LOOPBACK_NAMES]
    alt_names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in LOOPBACK_ADDRESSES]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # tolerate clock skew
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        # CA:TRUE lets clients use this very file as their trust anchor (cafile);
        # key usage and key identifiers keep strict X.509 checkers content.
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_KEY_USAGE, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _still_usable(paths: CertificatePaths) -> bool:
    if not (paths.cert.is_file() and paths.key.is_file()):
        return False
    try:
        cert = x509.load_pem_x509_certificate(paths.cert.read_bytes())
    except ValueError:
        return False  # a damaged file is replaced, not reported: it is our own cache
    deadline = datetime.datetime.now(datetime.UTC) + RENEW_BEFORE
    return cert.not_valid_after_utc > deadline


def _write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    os.replace(partial, path)


@contextmanager
def _exclusive_lock(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
