"""The reference server as one structured-concurrency task: ``ReferenceServer``.

    async with trio.open_nursery() as nursery:
        server = await nursery.start(ReferenceServer(config).run)
        server.port("pop3"); server.target()      # bound ports, a Target to test against
        nursery.cancel_scope.cancel()             # graceful: sessions cancelled, store closed

or, for tests and tools, ``async with running_server(config) as server: ...``.

``run`` opens the store, provisions the accounts, starts every enabled
listener whose protocol has a session handler, and only then reports a
``RunningServer``. Handlers are found by module path: protocol ``p`` is
served by ``harness.server.<p>.session.handle`` (the contract is in
``harness.server.context``). A protocol whose module does not exist yet is
not served; ``RunningServer.unavailable`` says which and why, so a partial
build still starts and says what it lacks. A session module may also define
``serve_background(ctx, *, task_status)``, started once per protocol before
the listeners (the relay queue's delivery worker, for one).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import trio

from harness.server.config import ListenerConfig, ServerConfig, default_config
from harness.server.context import ServerContext, SessionHandler, open_server_context
from harness.server.listeners import BoundAddress, ClientInfo, serve_listener
from harness.targets import Target, TLSMode

log = logging.getLogger(__name__)

PROTOCOLS = ("smtp", "pop3", "imap")
BackgroundTask = Callable[..., Awaitable[None]]


def session_module_name(protocol: str) -> str:
    return f"harness.server.{protocol}.session"


def load_session_module(protocol: str) -> ModuleType | None:
    """The protocol's session module, or None if it does not exist (yet).

    Only a missing module counts as absent: an import error *inside* an
    existing module is a bug and propagates.
    """
    name = session_module_name(protocol)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            return None
        raise


class ServerStartError(Exception):
    """The server could not start: a port in use, an address not available..."""


@dataclass(frozen=True)
class BoundListener:
    service: str
    host: str
    port: int
    tls: TLSMode


@dataclass(frozen=True)
class RunningServer:
    """What a started server reports: where each service listens, and what it lacks."""

    config: ServerConfig
    context: ServerContext
    listeners: Mapping[str, BoundListener]  # by service name, in config order
    unavailable: Mapping[str, str]  # service -> why it is not served

    @property
    def host(self) -> str:
        return self.config.host

    def port(self, service: str) -> int:
        if service not in self.listeners:
            why = self.unavailable.get(service, "not enabled in the config")
            raise KeyError(f"service {service!r} is not served: {why}")
        return self.listeners[service].port

    def target(self) -> Target:
        """A Target for exactly the listeners bound, with every account and password."""
        return self.context.config.to_target(
            {name: bound.port for name, bound in self.listeners.items()}
        )


class ReferenceServer:
    """The bundled SMTP/POP3/IMAP server; ``run`` is its task (see the module doc)."""

    def __init__(
        self,
        config: ServerConfig | None = None,
        *,
        data_dir: Path | None = None,
        plaintext_secrets: bool | None = None,
    ) -> None:
        """``data_dir`` and ``plaintext_secrets`` (whether CRAM-MD5 and APOP are
        offered) override the config's when given."""
        self.config = config or default_config()
        self.data_dir = data_dir
        self.plaintext_secrets = plaintext_secrets

    async def run(
        self, *, task_status: trio.TaskStatus[RunningServer] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Serve until cancelled; report a ``RunningServer`` once every listener is bound."""
        async with (
            open_server_context(
                self.config, data_dir=self.data_dir, plaintext_secrets=self.plaintext_secrets
            ) as ctx,
            trio.open_nursery() as nursery,
        ):
            modules, unavailable = _session_modules(ctx.config)
            for module in modules.values():
                await _start_background(nursery, module, ctx)
            listeners = {}
            for listener in ctx.config.enabled_listeners():
                if listener.protocol in modules:
                    handler = modules[listener.protocol].handle
                    listeners[listener.service] = await _start_listener(
                        nursery, handler, listener, ctx
                    )
            for service, why in unavailable.items():
                log.info("%s not served: %s", service, why)
            task_status.started(RunningServer(ctx.config, ctx, listeners, unavailable))


def _session_modules(config: ServerConfig) -> tuple[dict[str, ModuleType], dict[str, str]]:
    modules: dict[str, ModuleType] = {}
    unavailable: dict[str, str] = {}
    for listener in config.enabled_listeners():
        protocol = listener.protocol
        module: ModuleType | None = modules.get(protocol) or load_session_module(protocol)
        if module is None:
            unavailable[listener.service] = (
                f"no {protocol.upper()} session yet ({session_module_name(protocol)} is missing)"
            )
        else:
            modules[protocol] = module
    return modules, unavailable


async def _start_background(nursery: trio.Nursery, module: ModuleType, ctx: ServerContext) -> None:
    task: BackgroundTask | None = getattr(module, "serve_background", None)
    if task is not None:
        await nursery.start(partial(task, ctx))


async def _start_listener(
    nursery: trio.Nursery, handler: SessionHandler, listener: ListenerConfig, ctx: ServerContext
) -> BoundListener:
    async def serve_one(stream: trio.abc.Stream, client: ClientInfo) -> None:
        await handler(stream, client, listener, ctx)

    implicit = listener.tls is TLSMode.IMPLICIT
    serve = partial(
        serve_listener,
        serve_one,
        host=ctx.config.host,
        port=listener.port,
        tls_mode=listener.tls,
        ssl_context=ctx.ssl_context if implicit else None,
        max_connections_per_ip=ctx.limits.max_connections_per_ip,
        handshake_timeout=ctx.limits.tls_handshake_timeout,
        name=listener.service,
    )
    try:
        bound: BoundAddress = await nursery.start(serve)
    except OSError as exc:  # raised while binding, before the listener started
        where = f"{ctx.config.host} port {listener.port}"
        raise ServerStartError(
            f"{listener.service}: cannot listen on {where}: {exc.strerror or exc}"
        ) from exc
    return BoundListener(listener.service, bound.host, bound.port, listener.tls)


@asynccontextmanager
async def running_server(
    config: ServerConfig | None = None, *, data_dir: Path | None = None, **options: Any
) -> AsyncIterator[RunningServer]:
    """Run a reference server for the block; stop it (gracefully) on the way out."""
    server = ReferenceServer(config, data_dir=data_dir, **options)
    async with trio.open_nursery() as nursery:
        running: RunningServer = await nursery.start(server.run)
        try:
            yield running
        finally:
            nursery.cancel_scope.cancel()
