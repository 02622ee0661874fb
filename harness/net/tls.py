"""TLS for every connection the harness makes or accepts: contexts and trio wrapping.

One way in for both STARTTLS and implicit TLS: ``start_tls`` puts a
``trio.SSLStream`` over whatever stream is open and completes the handshake.
For STARTTLS that stream has already carried plaintext; for implicit TLS it is
a fresh TCP connection. The protocol decides when, this module decides how.

Both sides can write an NSS key log (the SSLKEYLOGFILE format Wireshark reads)
through ``SSLContext.keylog_filename``: a packet capture of a TLS session is
unreadable without it (DESIGN.md §4).
"""

from __future__ import annotations

import os
import ssl
from typing import Any

import trio

MINIMUM_VERSION = ssl.TLSVersion.TLSv1_2

TLSStream = trio.SSLStream[Any]


def server_ssl_context(
    cert_file: str | os.PathLike[str],
    key_file: str | os.PathLike[str],
    *,
    keylog_filename: str | os.PathLike[str] | None = None,
    minimum_version: ssl.TLSVersion = MINIMUM_VERSION,
) -> ssl.SSLContext:
    """A server context for the given certificate chain and key."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = minimum_version
    context.load_cert_chain(os.fspath(cert_file), os.fspath(key_file))
    _set_keylog(context, keylog_filename)
    return context


def client_ssl_context(
    *,
    verify: bool = True,
    ca_file: str | os.PathLike[str] | None = None,
    keylog_filename: str | os.PathLike[str] | None = None,
    minimum_version: ssl.TLSVersion = MINIMUM_VERSION,
) -> ssl.SSLContext:
    """A client context; ``verify=False`` accepts any certificate (self-signed test servers).

    ``ca_file`` adds a trust anchor to the system's, e.g. the bundled server's
    self-signed certificate, so verification can stay on against it.
    """
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = minimum_version
    if ca_file is not None:
        context.load_verify_locations(cafile=os.fspath(ca_file))
    if not verify:
        context.check_hostname = False  # must be switched off before verify_mode
        context.verify_mode = ssl.CERT_NONE
    _set_keylog(context, keylog_filename)
    return context


def _set_keylog(context: ssl.SSLContext, keylog_filename: str | os.PathLike[str] | None) -> None:
    if keylog_filename is not None:
        # ssl appends one line per secret and serialises writers, so one file may
        # be shared by the server's and the clients' contexts.
        context.keylog_filename = os.fspath(keylog_filename)


async def start_tls(
    stream: trio.abc.Stream,
    context: ssl.SSLContext,
    *,
    server_side: bool,
    server_hostname: str | None = None,
) -> TLSStream:
    """Wrap ``stream`` in TLS and complete the handshake.

    Raises ``trio.BrokenResourceError`` (its ``__cause__`` the ``ssl.SSLError``)
    when the handshake fails. The caller bounds the time with a cancel scope.
    """
    if not server_side and server_hostname is None and context.check_hostname:
        raise ValueError("a verifying client context needs server_hostname")
    # https_compatible=False: our aclose() sends close_notify as RFC 8446 §6.1
    # asks; a peer's missing close_notify is handled by the reader (stream.py).
    tls_stream = trio.SSLStream(
        stream, context, server_side=server_side, server_hostname=server_hostname
    )
    await tls_stream.do_handshake()
    return tls_stream


def describe_tls(stream: trio.abc.Stream) -> str | None:
    """'TLSv1.3 TLS_AES_256_GCM_SHA384' for a TLS stream after its handshake, else None."""
    if not isinstance(stream, trio.SSLStream):
        return None
    cipher = stream.cipher()
    version = stream.version()
    if cipher is None or version is None:
        return None
    return f"{version} {cipher[0]}"


def is_ragged_eof(exc: BaseException) -> bool:
    """True if a TLS read failed only because the peer closed without close_notify.

    Many mail clients (Python's smtplib and imaplib among them) just close the
    socket; treating that as a plain end of stream is what every mail server does.
    """
    return isinstance(exc, trio.BrokenResourceError) and isinstance(exc.__cause__, ssl.SSLEOFError)
