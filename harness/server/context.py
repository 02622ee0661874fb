"""What every protocol session of the reference server receives: ``ServerContext``.

The contract between the server and its protocol sessions. Each protocol
package provides one module ``harness.server.<protocol>.session`` (protocol:
"smtp", "pop3", "imap") with one coroutine function::

    async def handle(
        stream: trio.abc.Stream,      # TLS already done for implicit-TLS listeners
        client: ClientInfo,           # peer, local port, negotiated TLS, over_limit
        listener: ListenerConfig,     # service name, TLS mode, auth_required
        ctx: ServerContext,
    ) -> None

The handler runs one session and returns when it is over; the listener closes
the stream afterwards. ``client.over_limit``: answer with the protocol's
"too many connections" reply and return. A handler need not catch connection
loss or ``IdleTimeout``: the listener logs those as normal endings. The app
finds handlers by that module path (``harness.server.app``), so a protocol is
served as soon as its module exists.

Inside a handler:

* ``ctx.config``: the ``ServerConfig`` (``limits``, ``hostname``, ``domains``...).
* ``ctx.store``: the ``AsyncMailstore``.
* ``ctx.ssl_context``: the server TLS context for STARTTLS/STLS (key log included).
* ``ctx.auth``: the ``Authenticator`` (SASL exchanges, passwords, TLS policy,
  failure delay).
* ``ctx.log.session(listener.service, client)``: a ``SessionRecord`` for the
  one structured line per session (set ``.user``, ``.tls``, ``.result``; call
  ``.message(...)`` per message; pass ``.transcript_hook()`` to ProtocolStream).
* ``ctx.maildrop_locks``: POP3's exclusive maildrop lock (RFC 1939 §4).

``open_server_context`` builds one without any listener, for tests that drive
a session over an in-memory stream.
"""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import trio

from harness.server.auth import Authenticator, AuthPolicy, provision_accounts
from harness.server.config import Limits, ListenerConfig, ServerConfig
from harness.server.listeners import ClientInfo
from harness.server.sessionlog import SessionLog
from harness.server.store import AsyncMailstore, open_mailstore


class MaildropLocks:
    """Exclusive locks on maildrops, by account name, within one server process.

    RFC 1939 §4: the server "acquire[s] an exclusive-access lock on the
    maildrop" when the session enters TRANSACTION; a second session for the
    same maildrop gets ``-ERR [IN-USE]`` (RFC 2449 §8.1.2). Sessions all run on
    one trio thread, so a set is enough.
    """

    def __init__(self) -> None:
        self._held: set[str] = set()

    def acquire(self, account: str) -> bool:
        """Take the lock; False if another session holds it."""
        key = account.lower()
        if key in self._held:
            return False
        self._held.add(key)
        return True

    def release(self, account: str) -> None:
        self._held.discard(account.lower())

    def is_held(self, account: str) -> bool:
        return account.lower() in self._held

    @contextmanager
    def hold(self, account: str) -> Iterator[bool]:
        """Try to take the lock for the block; yields whether it was taken."""
        acquired = self.acquire(account)
        try:
            yield acquired
        finally:
            if acquired:
                self.release(account)


@dataclass(frozen=True)
class ServerContext:
    """Shared by every session of one running server (see the module doc)."""

    config: ServerConfig
    store: AsyncMailstore
    ssl_context: ssl.SSLContext
    auth: Authenticator
    log: SessionLog
    maildrop_locks: MaildropLocks

    @property
    def hostname(self) -> str:
        return self.config.hostname

    @property
    def limits(self) -> Limits:
        return self.config.limits

    def is_local_domain(self, domain: str) -> bool:
        return domain.lower() in self.config.domains


SessionHandler = Callable[
    [trio.abc.Stream, ClientInfo, ListenerConfig, ServerContext], Awaitable[None]
]
"""The signature of ``harness.server.<protocol>.session.handle``."""


@asynccontextmanager
async def open_server_context(
    config: ServerConfig,
    *,
    data_dir: Path | None = None,
    plaintext_secrets: bool | None = None,
) -> AsyncIterator[ServerContext]:
    """Open the store, provision the accounts, load TLS; close the store on exit.

    ``data_dir`` overrides ``config.data_dir``. ``plaintext_secrets`` (default:
    the config's) keeps account passwords in plaintext-equivalent form so
    CRAM-MD5 and APOP can be offered (see ``harness.server.auth``).
    """
    if data_dir is not None:
        config = dataclasses.replace(config, data_dir=data_dir)  # the certificate lives there too
    if plaintext_secrets is None:
        plaintext_secrets = config.plaintext_secrets
    ssl_context = await trio.to_thread.run_sync(config.ssl_context)  # may generate a key
    async with open_mailstore(config.data_dir) as store:
        accounts = await provision_accounts(
            store, config.accounts, plaintext_secrets=plaintext_secrets
        )
        policy = AuthPolicy.from_config(config, plaintext_secrets=plaintext_secrets)
        yield ServerContext(
            config=config,
            store=store,
            ssl_context=ssl_context,
            auth=Authenticator(accounts, policy, hostname=config.hostname),
            log=SessionLog(),
            maildrop_locks=MaildropLocks(),
        )
