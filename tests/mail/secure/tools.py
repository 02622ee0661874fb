"""The independent checkers: openssl and gpg, run on files in a temporary directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from harness.mail.secure import testkeys
from harness.mail.secure.openpgp import pgp_key

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
needs_gpg = pytest.mark.skipif(
    shutil.which("gpg") is None or shutil.which("gpgconf") is None, reason="gpg not installed"
)


def run(
    command: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(command, capture_output=True, timeout=60, check=False, env=env)


class OpenSSL:
    """Files for ``openssl cms``/``smime``: the CA, the recipient's certificate and key."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.ca = self._write("ca.pem", testkeys.ca_certificate().public_bytes(Encoding.PEM))
        recipient = testkeys.recipient()
        self.recipient_cert = self._write(
            "recipient.pem", recipient.certificate.public_bytes(Encoding.PEM)
        )
        key = recipient.key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        self.recipient_key = self._write("recipient.key", key)
        signer = testkeys.sender()
        self.signer_cert = self._write("sender.pem", signer.certificate.public_bytes(Encoding.PEM))
        sender_key = signer.key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        self.signer_key = self._write("sender.key", sender_key)

    def _write(self, name: str, data: bytes) -> Path:
        path = self.directory / name
        path.write_bytes(data)
        return path

    def file(self, name: str, data: bytes) -> Path:
        return self._write(name, data)


class GnuPG:
    """A throwaway GNUPGHOME holding the test keys; its agent is stopped by ``close``."""

    def __init__(self, home: Path) -> None:
        self.home = home
        home.chmod(0o700)
        self.env = {**os.environ, "GNUPGHOME": str(home)}
        for who in (testkeys.sender(), testkeys.recipient()):
            key = self.file(f"{who.address}.key", pgp_key(who).secret_key())
            self.gpg("--import", str(key), check=True)

    def file(self, name: str, data: bytes) -> Path:
        path = self.home / name
        path.write_bytes(data)
        return path

    def gpg(self, *arguments: str, check: bool = False) -> subprocess.CompletedProcess[bytes]:
        result = run(
            ["gpg", "--batch", "--no-tty", "--trust-model", "always", *arguments], env=self.env
        )
        if check and result.returncode != 0:
            raise AssertionError(result.stderr.decode(errors="replace"))
        return result

    def close(self) -> None:
        run(["gpgconf", "--kill", "all"], env=self.env)


@contextmanager
def gnupg_home() -> Iterator[GnuPG]:
    # A short path: gpg-agent's socket path must fit in sun_path (108 octets).
    with tempfile.TemporaryDirectory(prefix="mh-gpg-") as directory:
        gnupg = GnuPG(Path(directory))
        try:
            yield gnupg
        finally:
            gnupg.close()
