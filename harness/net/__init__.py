"""Trio I/O for the harness: the one adapter that drives a sans-IO core over a
trio stream (``stream``), TLS contexts and the STARTTLS / implicit-TLS upgrade
with key logging (``tls``), self-signed loopback certificates (``certs``), and
``open_connection`` for clients. Never imports locust or gevent."""

from harness.net.certs import (
    CertificatePaths,
    cached_certificate_paths,
    ensure_self_signed,
    generate_self_signed,
)
from harness.net.stream import (
    Direction,
    IdleTimeout,
    PeerClosed,
    ProtocolStream,
    SansIOConnection,
    TranscriptHook,
    open_connection,
)
from harness.net.tls import (
    TLSStream,
    client_ssl_context,
    describe_tls,
    server_ssl_context,
    start_tls,
)

__all__ = [
    "CertificatePaths",
    "Direction",
    "IdleTimeout",
    "PeerClosed",
    "ProtocolStream",
    "SansIOConnection",
    "TLSStream",
    "TranscriptHook",
    "cached_certificate_paths",
    "client_ssl_context",
    "describe_tls",
    "ensure_self_signed",
    "generate_self_signed",
    "open_connection",
    "server_ssl_context",
    "start_tls",
]
