"""Blocking SMTP, POP3 and IMAP clients for load: the sans-IO cores over plain
sockets (``ssl`` for implicit TLS and STARTTLS), every command timed and
reported to a ``RequestSink``; refusals come back as data (``CommandFailed``
codes), a broken connection as ``ConnectionLost``. They import neither
locust nor gevent: in the locust process gevent has patched ``socket``, so
they run cooperatively; elsewhere (the end-of-run sweep) they simply block.
"""

from harness.load.clients.base import (
    CommandFailed,
    ConnectionLost,
    Endpoint,
    RequestSink,
    client_tls_context,
    discard_requests,
)
from harness.load.clients.endpoints import endpoint_for, first_service, target_tls_context
from harness.load.clients.imap import Completion, IMAPClient, Selected
from harness.load.clients.pop3 import POP3Client
from harness.load.clients.smtp import SMTPClient

__all__ = [
    "CommandFailed",
    "Completion",
    "ConnectionLost",
    "Endpoint",
    "IMAPClient",
    "POP3Client",
    "RequestSink",
    "SMTPClient",
    "Selected",
    "client_tls_context",
    "discard_requests",
    "endpoint_for",
    "first_service",
    "target_tls_context",
]
