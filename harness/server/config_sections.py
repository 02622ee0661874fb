"""The sections of the server config: listeners, accounts, limits, routes, TLS files.

Each section is a frozen dataclass with its defaults and a parser that reads one
TOML table through ``TableReader``, so every error names the file and the key.
``harness.server.config`` puts the sections together.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.server.sieve import SieveError, compile_script
from harness.targets import SERVICE_PROTOCOLS, TLSMode
from harness.tomlkeys import SettingsError, TableReader

MB = 1024 * 1024


class ConfigError(SettingsError):
    """The server config is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class ListenerConfig:
    service: str  # smtp, submission, smtps, pop3, pop3s, imap or imaps
    port: int  # 0: a free port, reported once bound
    tls: TLSMode  # none: plaintext only; starttls: STARTTLS/STLS offered; implicit
    auth_required: bool = False  # SMTP only: no MAIL before AUTH (submission)
    enabled: bool = True

    @property
    def protocol(self) -> str:
        return SERVICE_PROTOCOLS[self.service]


def default_listeners() -> dict[str, ListenerConfig]:
    starttls, implicit = TLSMode.STARTTLS, TLSMode.IMPLICIT
    return {
        "smtp": ListenerConfig("smtp", 0, starttls),
        "submission": ListenerConfig("submission", 0, starttls, auth_required=True),
        "smtps": ListenerConfig("smtps", 0, implicit, auth_required=True),
        "pop3": ListenerConfig("pop3", 0, starttls),
        "pop3s": ListenerConfig("pop3s", 0, implicit),
        "imap": ListenerConfig("imap", 0, starttls),
        "imaps": ListenerConfig("imaps", 0, implicit),
    }


def parse_listeners(
    table: TableReader, defaults: Mapping[str, ListenerConfig]
) -> dict[str, ListenerConfig]:
    table.reject_unknown(defaults)
    listeners = dict(defaults)
    for name in defaults:
        if table.has(name):
            listeners[name] = _parse_listener(table.table_at(name), defaults[name])
    return listeners


def _parse_listener(table: TableReader, default: ListenerConfig) -> ListenerConfig:
    allowed = ["port", "tls", "enabled"]
    if default.protocol == "smtp":
        allowed.append("auth_required")  # POP3 and IMAP always authenticate
    table.reject_unknown(allowed)
    tls = table.choice("tls", [mode.value for mode in TLSMode], default.tls.value)
    return ListenerConfig(
        service=default.service,
        port=table.integer("port", default.port, low=0, high=65535),
        tls=TLSMode(tls),
        auth_required=table.boolean("auth_required", default.auth_required),
        enabled=table.boolean("enabled", default.enabled),
    )


@dataclass(frozen=True)
class AccountConfig:
    user: str
    password: str
    sieve: str | None = None  # filing rules (a Sieve script), already read from sieve_file
    sieve_origin: str | None = None  # where the script came from, for compile errors


LOAD_ACCOUNTS = 40  # one per parallel test worker or load user


def default_accounts() -> tuple[AccountConfig, ...]:
    demo = [
        AccountConfig("alice@example.test", "alicepw"),
        AccountConfig("bob@example.test", "bobpw"),
    ]
    load = [AccountConfig(f"load{n}@example.test", "loadpw") for n in range(1, LOAD_ACCOUNTS + 1)]
    return tuple(demo + load)


def parse_accounts(tables: list[TableReader], base_dir: Path | None) -> tuple[AccountConfig, ...]:
    accounts: list[AccountConfig] = []
    seen: set[str] = set()
    for table in tables:
        account = _parse_account(table, base_dir)
        if account.user.lower() in seen:
            raise table.fail("user", f"{account.user!r} is listed twice")
        seen.add(account.user.lower())
        accounts.append(account)
    return tuple(accounts)


def _parse_account(table: TableReader, base_dir: Path | None) -> AccountConfig:
    table.reject_unknown(("user", "password", "sieve", "sieve_file"))
    user = table.string("user")
    local, at, domain = user.rpartition("@")
    if not (at and local and domain):
        raise table.fail("user", f"expected local@domain, got {user!r}")
    if table.has("sieve") and table.has("sieve_file"):
        raise table.fail("sieve_file", "give sieve or sieve_file, not both")
    sieve, origin = table.optional_string("sieve"), f"{table.source}: {table.key('sieve')}"
    if table.has("sieve_file"):
        path = resolve_path(Path(table.string("sieve_file")), base_dir)
        try:
            sieve = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise table.fail("sieve_file", f"cannot read {path}: {exc.strerror}") from exc
        origin = str(path)
    if sieve is not None:
        _check_sieve(table, "sieve_file" if table.has("sieve_file") else "sieve", sieve)
    return AccountConfig(user, table.string("password"), sieve, origin if sieve else None)


def _check_sieve(table: TableReader, key: str, script: str) -> None:
    """Compile now so a bad script fails at startup, not at the first delivery."""
    try:
        compile_script(script)
    except SieveError as exc:
        raise table.fail(key, f"Sieve script does not compile: {exc}") from exc


@dataclass(frozen=True)
class Limits:
    # RFC 5321 §4.5.3.1.4 allows 512 octets "including the command word and
    # the <CRLF>", raised by extensions: SIZE, BODY, AUTH= and DSN parameters.
    smtp_command_line: int = 2048
    smtp_text_line: int = 1000  # §4.5.3.1.6, including CRLF
    pop3_command_line: int = 255  # RFC 2449 §4, including CRLF
    imap_command_line: int = 8192  # RFC 7162 §4 recommends servers accept 8192
    max_message_size: int = 50 * MB  # advertised as SIZE; also caps APPEND
    max_literal: int = 50 * MB
    max_recipients: int = 100  # §4.5.3.1.8: at least 100 must be accepted
    max_connections_per_ip: int = 1000  # every loopback client shares one address
    smtp_idle_timeout: float = 300.0  # §4.5.3.2.7: at least 5 minutes
    pop3_idle_timeout: float = 600.0  # RFC 1939 §3: at least 10 minutes
    imap_idle_timeout: float = 1800.0  # RFC 9051 §5.4: at least 30 minutes
    tls_handshake_timeout: float = 30.0
    auth_failure_delay: float = 1.0  # slows password guessing; 0 in fast test setups


def parse_limits(table: TableReader) -> Limits:
    defaults = Limits()
    table.reject_unknown(f.name for f in dataclasses.fields(Limits))
    values: dict[str, int | float] = {}
    for spec in dataclasses.fields(Limits):
        default = getattr(defaults, spec.name)
        if isinstance(default, float):
            values[spec.name] = table.number(spec.name, default)
            if spec.name.endswith("_timeout") and values[spec.name] <= 0:
                raise table.fail(spec.name, "a timeout must be more than 0 seconds")
        else:
            values[spec.name] = table.integer(spec.name, default, low=1)
    return Limits(**values)  # type: ignore[arg-type]  # the loop matched each field's type


class RouteTLS(enum.StrEnum):
    """How the relay uses TLS towards a next hop.

    "starttls-opportunistic" uses STARTTLS when offered and accepts any
    certificate (RFC 7435 opportunistic security: better than cleartext,
    never worse); "starttls-required" defers the mail when STARTTLS is not
    offered or fails; "implicit" starts TLS at connect (RFC 8314 style).
    """

    NONE = "none"
    OPPORTUNISTIC = "starttls-opportunistic"
    REQUIRED = "starttls-required"
    IMPLICIT = "implicit"


@dataclass(frozen=True)
class Route:
    """Mail for ``domain`` is relayed over SMTP to ``host``:``port``."""

    domain: str
    host: str
    port: int
    tls: RouteTLS = RouteTLS.OPPORTUNISTIC


def parse_routes(table: TableReader) -> dict[str, Route]:
    """``"b.test" = "host:port"``, or a table ``{ host, port, tls }``."""
    routes = {}
    for domain in table.table:
        if isinstance(table.table[domain], dict):
            route = _parse_route_table(table.table_at(domain), domain.lower())
        else:
            route = _parse_route_string(table, domain)
        routes[route.domain] = route
    return routes


def _parse_route_string(table: TableReader, domain: str) -> Route:
    text = table.string(domain)
    host, sep, port_text = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")  # "[::1]:25"
    if not (sep and host and port_text.isdigit() and 0 < int(port_text) < 65536):
        raise table.fail(domain, f"expected host:port (IPv6 as [::1]:25), got {text!r}")
    return Route(domain.lower(), host, int(port_text))


def _parse_route_table(table: TableReader, domain: str) -> Route:
    table.reject_unknown(("host", "port", "tls"))
    tls = table.choice("tls", [mode.value for mode in RouteTLS], RouteTLS.OPPORTUNISTIC.value)
    return Route(
        domain,
        table.string("host"),
        table.integer("port", low=1, high=65535),
        RouteTLS(tls),
    )


@dataclass(frozen=True)
class RelaySettings:
    """When the relay retries and how long it waits for a next hop.

    RFC 5321 §4.5.4.1: "the retry interval SHOULD be at least 30 minutes"
    and "the give-up time generally needs to be at least 4-5 days"; the
    timeouts are §4.5.3.2's (5 minutes for the greeting, MAIL and RCPT, 10
    for the reply to the end of the data). Tests shrink them all.
    """

    retry_interval: float = 1800.0  # the first retry; later ones grow by retry_backoff
    retry_backoff: float = 2.0
    max_retry_interval: float = 4 * 3600.0
    give_up_after: float = 5 * 86400.0  # then the message bounces (Action: failed)
    connect_timeout: float = 60.0
    command_timeout: float = 300.0
    data_timeout: float = 600.0
    attempt_timeout: float = 1800.0  # one delivery attempt, all next hops, at most
    queue_poll_interval: float = 1.0  # how often the queue is checked for due mail
    max_parallel: int = 10  # queue entries delivered at once


def parse_relay(table: TableReader) -> RelaySettings:
    defaults = RelaySettings()
    table.reject_unknown(f.name for f in dataclasses.fields(RelaySettings))
    values: dict[str, int | float] = {}
    for spec in dataclasses.fields(RelaySettings):
        default = getattr(defaults, spec.name)
        if isinstance(default, int):
            values[spec.name] = table.integer(spec.name, default, low=1)
            continue
        values[spec.name] = table.number(
            spec.name, default, low=1.0 if spec.name == "retry_backoff" else 0.0
        )
        if values[spec.name] <= 0:
            raise table.fail(spec.name, "must be more than 0 seconds")
    return RelaySettings(**values)  # type: ignore[arg-type]  # the loop matched each field's type


@dataclass(frozen=True)
class TLSFiles:
    cert: Path | None = None  # with key; when both are absent a self-signed pair is made
    key: Path | None = None
    keylog: Path | None = None  # SSLKEYLOGFILE-format secrets, to decrypt captures


def parse_tls_files(table: TableReader, base_dir: Path | None) -> TLSFiles:
    table.reject_unknown(("cert", "key", "keylog"))
    cert, key, keylog = (table.optional_string(name) for name in ("cert", "key", "keylog"))
    if (cert is None) != (key is None):
        raise table.fail("key" if cert else "cert", "give cert and key together")
    return TLSFiles(
        cert=resolve_path(Path(cert), base_dir) if cert else None,
        key=resolve_path(Path(key), base_dir) if key else None,
        keylog=resolve_path(Path(keylog), base_dir) if keylog else None,
    )


def resolve_path(path: Path, base_dir: Path | None) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() or base_dir is None else base_dir / path
