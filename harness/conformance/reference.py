"""``--target``: a target file, or ``reference`` (the bundled server, started here).

``open_target("reference")`` starts the reference server in-process on free
loopback ports with a fresh data directory (so no earlier run's mail is
seen), yields its Target (every bound listener, its accounts, its
certificate as trust anchor) and stops the server on the way out. Services
the build does not serve yet are simply absent from the target, so the
cases that need them are skipped with that reason.

With ``relay_peer`` (the default) a second reference server is started for
the end-to-end cases, as in examples/relay-two-domains: it serves the domain
``b.test`` (Bob and a few more accounts), the first server relays mail for
``b.test`` to it and it relays mail for the first server's domains back, so
the pair is cross-routed. The target's ``relay`` names the peer, and the
relay timings are a test's (retries within a second), not RFC 5321's.
"""

from __future__ import annotations

import dataclasses
import socket
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from harness.server.app import running_server
from harness.server.config import (
    AccountConfig,
    ListenerConfig,
    RelaySettings,
    Route,
    RouteTLS,
    ServerConfig,
    default_config,
)
from harness.targets import REFERENCE, Relay, Target, load_target

PEER_DOMAIN = "b.test"
PEER_ACCOUNTS = (("bob@b.test", "bobpw"), *((f"peer{n}@b.test", "peerpw") for n in range(1, 8)))
LOOPBACK = "127.0.0.1"


@asynccontextmanager
async def open_target(spec: str, *, relay_peer: bool = True) -> AsyncIterator[Target]:
    """The target named by ``--target``; TargetError for a bad file."""
    if spec != REFERENCE:
        yield load_target(spec)
        return
    with tempfile.TemporaryDirectory(prefix="mailharness-reference-") as data_dir:
        if not relay_peer:
            async with running_server(data_dir=Path(data_dir)) as running:
                yield running.target()
            return
        async with relay_pair(Path(data_dir), default_config()) as target:
            yield target


@asynccontextmanager
async def relay_pair(data_dir: Path, config: ServerConfig) -> AsyncIterator[Target]:
    """``config``'s server and a peer for ``b.test``, routed to each other."""
    # The peer's route back needs the first server's SMTP port before that
    # server starts: take a free port now and give it to its listener. Only
    # a program binding that very port in the microseconds between could
    # take it; the start would then fail loudly (ServerStartError), not oddly.
    smtp_port = free_port()
    peer_config = peer_server_config(config, data_dir / "peer", smtp_port)
    async with running_server(peer_config) as peer:
        first = first_server_config(config, data_dir / "reference", smtp_port, peer.port("smtp"))
        async with running_server(first) as running:
            relay = Relay(PEER_DOMAIN, LOOPBACK, peer.port("smtp"), peer=peer.target())
            yield dataclasses.replace(running.target(), relay=relay)


def first_server_config(
    config: ServerConfig, data_dir: Path, smtp_port: int, next_hop_port: int
) -> ServerConfig:
    """``config`` listening for SMTP on ``smtp_port``, relaying b.test to ``next_hop_port``."""
    return dataclasses.replace(
        config,
        data_dir=data_dir,
        routes={**config.routes, PEER_DOMAIN: relay_route(PEER_DOMAIN, next_hop_port)},
        relay=fast_relay_timings(),
        listeners=with_smtp_port(config, smtp_port),
    )


def peer_server_config(first: ServerConfig, data_dir: Path, first_smtp_port: int) -> ServerConfig:
    base = default_config(name=PEER_DOMAIN)
    return dataclasses.replace(
        base,
        hostname=f"mail.{PEER_DOMAIN}",
        domains=(PEER_DOMAIN,),
        data_dir=data_dir,
        accounts=tuple(AccountConfig(user, password) for user, password in PEER_ACCOUNTS),
        limits=dataclasses.replace(base.limits, auth_failure_delay=0.0),
        routes={domain: relay_route(domain, first_smtp_port) for domain in first.domains},
        relay=fast_relay_timings(),
    )


def relay_route(domain: str, port: int) -> Route:
    return Route(domain, LOOPBACK, port, RouteTLS.OPPORTUNISTIC)


def with_smtp_port(config: ServerConfig, port: int) -> dict[str, ListenerConfig]:
    return {
        name: dataclasses.replace(listener, port=port) if name == "smtp" else listener
        for name, listener in config.listeners.items()
    }


def fast_relay_timings() -> RelaySettings:
    """Retries within a second and short timeouts: a run must not wait RFC 5321's 30 minutes."""
    return RelaySettings(
        retry_interval=1.0,
        retry_backoff=1.0,
        max_retry_interval=1.0,
        give_up_after=60.0,
        connect_timeout=5.0,
        command_timeout=10.0,
        data_timeout=10.0,
        attempt_timeout=30.0,
        queue_poll_interval=0.05,
    )


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
    return port
