"""Privacy-Enhanced Mail (RFC 1421-1424) blocks: legacy fixtures that must pass unaltered.

PEM predates MIME: a message body holds encapsulated blocks between
``-----BEGIN PRIVACY-ENHANCED MESSAGE-----`` and ``-----END ...-----``,
each with RFC 822-style header fields (Proc-Type, Content-Domain, DEK-Info,
Originator-Certificate, MIC-Info, Key-Info). Nobody sends it any more, but
old archives hold it, and a server must carry it as opaque text.

These are FIXTURES. The MIC-CLEAR and MIC-ONLY blocks carry a real RSA-MD5
MIC (RFC 1423 §4.2: PKCS #1 over the MD5 DigestInfo) made with the test
sender key, so ``check_blocks`` can tell an altered block; the ENCRYPTED
block's DEK-Info, Key-Info and text are seeded filler, checked for shape only.
"""

from __future__ import annotations

import base64
import random
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding

from harness.mail.secure.testkeys import Identity

BEGIN = b"-----BEGIN PRIVACY-ENHANCED MESSAGE-----"
END = b"-----END PRIVACY-ENHANCED MESSAGE-----"
CRLF = b"\r\n"
_PROC_TYPES = (b"MIC-CLEAR", b"MIC-ONLY", b"ENCRYPTED")
_BLOCK = re.compile(re.escape(BEGIN) + rb"\r?\n(.*?)\r?\n" + re.escape(END), re.DOTALL)


def _base64_lines(data: bytes) -> list[bytes]:
    """RFC 1421 §4.3.2.4: printable encoding in lines of 64 characters."""
    encoded = base64.b64encode(data)
    return [encoded[i : i + 64] for i in range(0, len(encoded), 64)]


def _field(name: str, first: str, continuation: list[bytes]) -> bytes:
    """A header field; continuation lines start with a space (RFC 1421 §4.4)."""
    line = (f"{name}: {first}" if first else f"{name}:").encode("ascii") + CRLF
    return line + b"".join(b" " + part + CRLF for part in continuation)


def _mic(text: bytes, signer: Identity) -> bytes:
    # RFC 1421 §4.3.1: the MIC covers the canonical form, lines ending in CRLF.
    return signer.key.sign(text, padding.PKCS1v15(), hashes.MD5())


def _originator(signer: Identity) -> bytes:
    certificate = signer.certificate.public_bytes(Encoding.DER)
    return _field("Originator-Certificate", "", _base64_lines(certificate))


def mic_block(text: bytes, signer: Identity, *, clear: bool) -> bytes:
    """A MIC-CLEAR (text as is) or MIC-ONLY (text base64-encoded) block over ``text``."""
    proc = "MIC-CLEAR" if clear else "MIC-ONLY"
    headers = _field("Proc-Type", f"4,{proc}", []) + _field("Content-Domain", "RFC822", [])
    headers += _originator(signer)
    headers += _field("MIC-Info", "RSA-MD5,RSA,", _base64_lines(_mic(text, signer)))
    shown = text if clear else b"".join(line + CRLF for line in _base64_lines(text))
    return BEGIN + CRLF + headers + CRLF + shown + END + CRLF


def encrypted_block(rng: random.Random, signer: Identity) -> bytes:
    """An ENCRYPTED block of seeded filler: right shape, no real ciphertext."""
    headers = _field("Proc-Type", "4,ENCRYPTED", []) + _field("Content-Domain", "RFC822", [])
    headers += _field("DEK-Info", f"DES-CBC,{rng.randbytes(8).hex().upper()}", [])
    headers += _originator(signer)
    headers += _field("Key-Info", "RSA,", _base64_lines(rng.randbytes(256)))
    text = b"".join(line + CRLF for line in _base64_lines(rng.randbytes(rng.randrange(96, 320))))
    return BEGIN + CRLF + headers + CRLF + text + END + CRLF


@dataclass(frozen=True)
class PemBlock:
    proc_type: bytes
    headers: dict[bytes, bytes]  # field name -> value, continuations joined
    text: bytes  # after the empty line, up to the END line


def _parse_block(inner: bytes) -> PemBlock:
    head, separator, text = inner.partition(CRLF + CRLF)
    if not separator:
        raise ValueError("PEM block without the empty line after its header fields")
    fields: dict[bytes, bytes] = {}
    name = b""
    for line in head.split(CRLF):
        if line.startswith(b" ") and name:
            fields[name] += line.strip()
        else:
            field, _, value = line.partition(b":")
            name = field.strip().lower()
            fields[name] = value.strip()
    proc = fields.get(b"proc-type", b"")
    version, _, kind = proc.partition(b",")
    if version != b"4" or kind not in _PROC_TYPES:
        raise ValueError(f"PEM block with Proc-Type {proc!r} (RFC 1421 §4.6.1.1 wants 4,...)")
    if fields.get(b"content-domain") != b"RFC822":
        raise ValueError("PEM block without Content-Domain: RFC822")
    return PemBlock(kind, fields, text + CRLF)


def _check_mic(block: PemBlock, signer: Identity) -> None:
    mic_info = block.headers.get(b"mic-info", b"")
    if not mic_info.startswith(b"RSA-MD5,RSA,"):
        raise ValueError(f"PEM {block.proc_type.decode()} block without an RSA-MD5 MIC-Info")
    signature = base64.b64decode(mic_info[len(b"RSA-MD5,RSA,") :])
    text = block.text if block.proc_type == b"MIC-CLEAR" else base64.b64decode(block.text)
    try:
        signer.key.public_key().verify(signature, text, padding.PKCS1v15(), hashes.MD5())
    except InvalidSignature:
        raise ValueError(f"PEM {block.proc_type.decode()} MIC does not match its text") from None


def check_blocks(body: bytes, signer: Identity) -> int:
    """Check every PEM block in ``body``; the number found. ValueError on a fault."""
    if body.count(BEGIN) != body.count(END):
        raise ValueError("PEM BEGIN and END lines do not pair up")
    blocks = [_parse_block(match.group(1)) for match in _BLOCK.finditer(body)]
    for block in blocks:
        if block.proc_type != b"ENCRYPTED":
            _check_mic(block, signer)
    return len(blocks)
