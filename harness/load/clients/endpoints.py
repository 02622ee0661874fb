"""From a target's service entry to an ``Endpoint`` (address, TLS mode, context)."""

from __future__ import annotations

import ssl

from harness.load.clients.base import ConnectionLedger, Endpoint, client_tls_context
from harness.targets import Target


def target_tls_context(target: Target) -> ssl.SSLContext:
    return client_tls_context(target.tls_verify, target.ca_file)


def endpoint_for(
    target: Target,
    service: str,
    *,
    timeout: float = 30.0,
    context: ssl.SSLContext | None = None,
    ledger: ConnectionLedger | None = None,
) -> Endpoint:
    """The endpoint of ``service`` ("smtp", "imaps"...); TargetError if the target lacks it."""
    entry = target.service(service)
    return Endpoint(
        host=target.host,
        port=entry.port,
        tls=entry.tls.value,
        tls_context=context or target_tls_context(target),
        timeout=timeout,
        ledger=ledger,
    )


def first_service(target: Target, *names: str) -> str | None:
    """The first of ``names`` the target offers (e.g. "imap", "imaps")."""
    return next((name for name in names if name in target.services), None)
