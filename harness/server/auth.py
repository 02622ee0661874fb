"""Authentication for every protocol session: who may log in, how, and when.

One ``Authenticator`` per server, shared by the SMTP, POP3 and IMAP sessions:

* SASL: ``new_exchange(mechanism)`` gives a ``ServerExchange`` over the
  account credentials; ``start``/``step`` run its steps in a worker thread,
  because PLAIN and LOGIN re-derive a SCRAM key (PBKDF2) to check a password
  and that must not stall every other session on the event loop.
* Plain passwords (POP3 USER/PASS, IMAP LOGIN): ``verify_password``.
* APOP (RFC 1939 §7): ``verify_apop``, only while plaintext secrets are kept.
* Policy: ``may_authenticate(tls=...)`` says whether any login is allowed on
  this connection now (``require_tls_for_auth``: RFC 2595 §2.3, RFC 8314 §3,
  RFC 9051 §6.2.3); ``mechanisms(tls=...)`` is what to advertise now;
  ``delay_after_failure()`` is the configured pause before a failure reply.

Secrets: accounts are provisioned into the store (``provision_accounts``) as
SCRAM-SHA-256 verifiers (RFC 5802 §3, 4096 iterations as RFC 7677 §4 asks),
which serve SCRAM and also check PLAIN, LOGIN, USER/PASS and IMAP LOGIN. The
plaintext is kept (store column ``cram_secret``) only with
``plaintext_secrets=True``, because CRAM-MD5 (RFC 2195 §4) and APOP are keyed
with the secret itself; without it neither is offered.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import trio

from harness.protocols.pop3 import apop_digest
from harness.protocols.sasl import (
    Credentials,
    Outcome,
    ScramCredentials,
    ServerExchange,
    ServerMechanism,
    UnknownMechanism,
    derive_scram_credentials,
)
from harness.server.config import AccountConfig, ServerConfig
from harness.server.store import AsyncMailstore
from harness.server.store import Credentials as StoredCredentials
from harness.server.store import ScramCredentials as StoredScram

SCRAM_ITERATIONS = 4096  # RFC 7677 §4: "at least 4096"; what most servers advertise
PASSWORD_MECHANISMS = ("SCRAM-SHA-256", "PLAIN", "LOGIN")  # strongest first
PLAINTEXT_SECRET_MECHANISMS = ("CRAM-MD5",)
MAX_AUTH_THREADS = 8  # PBKDF2 checks in flight at once


@dataclass(frozen=True)
class AuthPolicy:
    require_tls: bool = True  # no login of any kind before TLS
    failure_delay: float = 1.0  # seconds before a failed login is answered
    plaintext_secrets: bool = False  # keep plaintext secrets: offer CRAM-MD5 and APOP

    @classmethod
    def from_config(cls, config: ServerConfig, *, plaintext_secrets: bool = False) -> AuthPolicy:
        return cls(
            require_tls=config.require_tls_for_auth,
            failure_delay=config.limits.auth_failure_delay,
            plaintext_secrets=plaintext_secrets,
        )


class Authenticator:
    """Checks logins against the provisioned accounts, under one ``AuthPolicy``."""

    def __init__(
        self, accounts: Mapping[str, Credentials], policy: AuthPolicy, *, hostname: str
    ) -> None:
        """``accounts``: canonical account name -> its credentials."""
        self.policy = policy
        self.hostname = hostname
        self._names = {_key(name): name for name in accounts}
        self._credentials = {_key(name): cred for name, cred in accounts.items()}
        self._limiter = trio.CapacityLimiter(MAX_AUTH_THREADS)

    # -- policy ---------------------------------------------------------------

    @property
    def all_mechanisms(self) -> tuple[str, ...]:
        """Every SASL mechanism this server offers once logins are allowed."""
        extra = PLAINTEXT_SECRET_MECHANISMS if self.policy.plaintext_secrets else ()
        return PASSWORD_MECHANISMS[:1] + extra + PASSWORD_MECHANISMS[1:]

    def may_authenticate(self, *, tls: bool) -> bool:
        """False on a plaintext connection while TLS is required for any login."""
        return tls or not self.policy.require_tls

    def mechanisms(self, *, tls: bool) -> tuple[str, ...]:
        """The SASL mechanisms to advertise now (none before TLS when TLS is required)."""
        return self.all_mechanisms if self.may_authenticate(tls=tls) else ()

    @property
    def apop_enabled(self) -> bool:
        """APOP needs the plaintext secret (RFC 1939 §7), so only with plaintext_secrets."""
        return self.policy.plaintext_secrets

    async def delay_after_failure(self) -> None:
        """The configured pause before a failure reply: it slows password guessing."""
        await trio.sleep(self.policy.failure_delay)

    # -- accounts -------------------------------------------------------------

    def account_name(self, name: str) -> str | None:
        """The canonical account name for a login name, or None if there is none."""
        return self._names.get(_key(name))

    def credentials(self, name: str) -> Credentials | None:
        """The SASL ``CredentialLookup``: a login name's credentials, or None."""
        return self._credentials.get(_key(name))

    # -- checks ---------------------------------------------------------------

    def new_exchange(
        self, mechanism: str, *, success_data_in_challenge: bool = True
    ) -> ServerExchange:
        """A SASL exchange for ``mechanism``; ``UnknownMechanism`` if it is not offered."""
        if mechanism.upper() not in self.all_mechanisms:
            raise UnknownMechanism(f"mechanism {mechanism!r} is not offered")
        server = ServerMechanism.create(
            mechanism, credentials=self.credentials, hostname=self.hostname
        )
        return ServerExchange(server, success_data_in_challenge=success_data_in_challenge)

    async def start(self, exchange: ServerExchange, initial_response: bytes | None) -> Outcome:
        """``exchange.start`` off the event loop (it may run PBKDF2)."""
        return await trio.to_thread.run_sync(
            exchange.start, initial_response, limiter=self._limiter
        )

    async def step(self, exchange: ServerExchange, response: bytes) -> Outcome:
        """``exchange.step`` off the event loop (it may run PBKDF2)."""
        return await trio.to_thread.run_sync(exchange.step, response, limiter=self._limiter)

    async def verify_password(self, name: str, password: str) -> str | None:
        """The canonical account name if ``password`` is right for ``name``, else None."""
        credentials = self.credentials(name)
        if credentials is None:
            return None
        ok = await trio.to_thread.run_sync(
            credentials.verify_password, password, limiter=self._limiter
        )
        return self.account_name(name) if ok else None

    def verify_apop(self, name: str, timestamp: str, digest: str) -> str | None:
        """The canonical account name if the APOP digest is right (RFC 1939 §7), else None."""
        credentials = self.credentials(name)
        if not self.apop_enabled or credentials is None or credentials.password is None:
            return None
        expected = apop_digest(timestamp, credentials.password)
        if not hmac.compare_digest(expected, digest.lower()):
            return None
        return self.account_name(name)


def _key(name: str) -> str:
    # The store matches user names case-insensitively (users.py, COLLATE NOCASE).
    return name.lower()


# -- provisioning -------------------------------------------------------------


async def provision_accounts(
    store: AsyncMailstore, accounts: Iterable[AccountConfig], *, plaintext_secrets: bool
) -> dict[str, Credentials]:
    """Create (or update) every configured account in the store; return their credentials.

    Idempotent across restarts on one data dir: an account whose stored
    verifier already matches its configured password is left alone, so a
    restart costs one PBKDF2 check per account and no writes.
    """
    provisioned: dict[str, Credentials] = {}

    async def provision(account: AccountConfig) -> None:
        name, stored = await _provision_one(store, account, plaintext_secrets)
        provisioned[name] = to_sasl_credentials(stored)

    async with trio.open_nursery() as nursery:  # concurrent: one group commit for all
        for account in accounts:
            nursery.start_soon(provision, account)
    return provisioned


async def _provision_one(
    store: AsyncMailstore, account: AccountConfig, plaintext_secrets: bool
) -> tuple[str, StoredCredentials]:
    user = await store.get_user(account.user)
    if user is not None and await trio.to_thread.run_sync(
        _still_matches, user.credentials, account.password, plaintext_secrets
    ):
        return user.name, user.credentials
    stored = await trio.to_thread.run_sync(_new_credentials, account.password, plaintext_secrets)
    if user is None:
        user = await store.create_user(account.user, stored)
    else:
        user = await store.set_credentials(user.id, stored)
    return user.name, stored


def _new_credentials(password: str, plaintext_secrets: bool) -> StoredCredentials:
    scram = derive_scram_credentials(password, iterations=SCRAM_ITERATIONS)
    return StoredCredentials(
        scram_sha256=StoredScram(scram.salt, scram.iterations, scram.stored_key, scram.server_key),
        cram_secret=password if plaintext_secrets else None,
    )


def _still_matches(stored: StoredCredentials, password: str, plaintext_secrets: bool) -> bool:
    if (stored.cram_secret is not None) != plaintext_secrets:
        return False  # the plaintext must be added, or dropped
    if stored.cram_secret is not None and stored.cram_secret != password:
        return False
    return stored.scram_sha256 is not None and to_sasl_credentials(stored).verify_password(password)


def to_sasl_credentials(stored: StoredCredentials) -> Credentials:
    """The store's record of a user's secrets, as the SASL mechanisms read them."""
    scram = stored.scram_sha256
    return Credentials(
        password=stored.cram_secret,
        scram_sha256=(
            ScramCredentials(scram.salt, scram.iterations, scram.stored_key, scram.server_key)
            if scram is not None
            else None
        ),
    )
