"""The reference server's configuration: TOML in, one frozen ``ServerConfig`` out.

Every setting has a default, so ``default_config()`` runs a complete server with
no file at all: seven listeners on free loopback ports, the demo domain
``example.test`` with alice, bob and load1..load40, a self-signed certificate
under the cache directory. A file overrides only what it names; an unknown or
ill-typed key fails at load with the file and the key in the message.
docs/server-config.example.toml shows every key with its default and its why.
"""

from __future__ import annotations

import os
import ssl
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.net.certs import CertificatePaths, cached_certificate_paths, ensure_self_signed
from harness.net.tls import server_ssl_context
from harness.server.config_sections import (
    AccountConfig,
    ConfigError,
    Limits,
    ListenerConfig,
    RelaySettings,
    Route,
    RouteTLS,
    TLSFiles,
    default_accounts,
    default_listeners,
    parse_accounts,
    parse_limits,
    parse_listeners,
    parse_relay,
    parse_routes,
    parse_tls_files,
    resolve_path,
)
from harness.targets import Account, Relay, Service, Target
from harness.tomlkeys import TableReader

DEMO_DOMAIN = "example.test"

_TOP_KEYS = (
    "name",
    "host",
    "hostname",
    "data_dir",
    "require_tls_for_auth",
    "plaintext_secrets",
    "smtp_bare_newlines",
    "domains",
    "listeners",
    "accounts",
    "limits",
    "routes",
    "relay",
    "tls",
)


@dataclass(frozen=True)
class ServerConfig:
    name: str
    host: str  # the address every listener binds
    hostname: str  # the server's own name in greetings and Received: lines
    data_dir: Path
    require_tls_for_auth: bool  # refuse AUTH/LOGIN/USER on a plaintext connection
    domains: tuple[str, ...]  # delivered locally; anything else is relayed or refused
    listeners: Mapping[str, ListenerConfig]
    accounts: tuple[AccountConfig, ...]
    limits: Limits
    routes: Mapping[str, Route]  # relay destinations by recipient domain
    tls: TLSFiles
    source: str = field(default="<defaults>", compare=False)
    # SMTP DATA holding a bare CR or LF (RFC 5321 §2.3.8): "reject" (550 5.6.0,
    # the SMTP-smuggling defence), "keep" the octets as sent, or "normalize" to CRLF.
    smtp_bare_newlines: str = "reject"
    relay: RelaySettings = field(default_factory=RelaySettings)  # retries, timeouts
    # Keep each password in plaintext-equivalent form, so that CRAM-MD5 (RFC
    # 2195) and POP3 APOP (RFC 1939 §7), keyed with the password itself, can
    # be offered. Default: on for the demo accounts (their passwords are public
    # anyway), off once a file lists its own [[accounts]].
    plaintext_secrets: bool = False

    def enabled_listeners(self) -> list[ListenerConfig]:
        return [listener for listener in self.listeners.values() if listener.enabled]

    def certificate(self) -> CertificatePaths:
        """The configured certificate, or one generated (and cached) under data_dir."""
        if self.tls.cert is not None and self.tls.key is not None:
            return CertificatePaths(cert=self.tls.cert, key=self.tls.key)
        return ensure_self_signed(self.generated_tls_dir)

    @property
    def generated_tls_dir(self) -> Path:
        return self.data_dir / "tls"

    def ssl_context(self) -> ssl.SSLContext:
        """The server-side TLS context every listener and STARTTLS shares."""
        paths = self.certificate()
        return server_ssl_context(paths.cert, paths.key, keylog_filename=self.tls.keylog)

    def to_target(self, bound_ports: Mapping[str, int]) -> Target:
        """The target file describing this server once its listeners are bound.

        ``bound_ports`` maps a listener's service name to its real port. With a
        generated certificate the target trusts it (ca_file) and verifies; a
        configured certificate's chain is unknown here, so verification is off.
        """
        generated = self.tls.cert is None
        services = {
            name: Service(name=name, port=port, tls=self.listeners[name].tls)
            for name, port in bound_ports.items()
        }
        first_route = next(iter(self.routes.values()), None)
        return Target(
            name=self.name,
            host=self.host,
            services=services,
            accounts=tuple(Account(user=a.user, password=a.password) for a in self.accounts),
            tls_verify=generated,
            # Absolute: a target file is read relative to its own folder, not to
            # the directory the server was started from.
            ca_file=(
                cached_certificate_paths(self.generated_tls_dir).cert.resolve()
                if generated
                else None
            ),
            domains=self.domains,
            relay=(
                Relay(first_route.domain, first_route.host, first_route.port)
                if first_route
                else None
            ),
        )


def default_config(name: str = "reference") -> ServerConfig:
    """Every default, no file needed."""
    return parse_server_config({"name": name}, source="<defaults>")


def load_server_config(path: str | os.PathLike[str]) -> ServerConfig:
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read server config: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from exc
    return parse_server_config(data, source=str(file), base_dir=file.parent)


def parse_server_config(
    data: Mapping[str, Any], *, source: str, base_dir: Path | None = None
) -> ServerConfig:
    """Validate parsed TOML over the defaults; relative paths are taken from ``base_dir``."""
    top = TableReader(data, source=source, error=ConfigError)
    top.reject_unknown(_TOP_KEYS)
    name = top.string("name", "reference")
    domains = tuple(d.lower() for d in top.strings("domains", [DEMO_DOMAIN]))
    accounts = (
        parse_accounts(top.tables("accounts"), base_dir)
        if top.has("accounts")
        else default_accounts()
    )
    _check_account_domains(top, accounts, domains)
    routes = parse_routes(top.table_at("routes"))
    _check_routes_are_remote(top, routes, domains)
    return ServerConfig(
        name=name,
        host=top.string("host", "127.0.0.1"),
        hostname=top.string("hostname", f"mail.{domains[0]}" if domains else "localhost"),
        data_dir=_data_dir(top, name, base_dir),
        require_tls_for_auth=top.boolean("require_tls_for_auth", True),
        domains=domains,
        listeners=parse_listeners(top.table_at("listeners"), default_listeners()),
        accounts=accounts,
        limits=parse_limits(top.table_at("limits")),
        routes=routes,
        tls=parse_tls_files(top.table_at("tls"), base_dir),
        source=source,
        smtp_bare_newlines=top.choice(
            "smtp_bare_newlines", ("reject", "keep", "normalize"), "reject"
        ),
        relay=parse_relay(top.table_at("relay")),
        plaintext_secrets=top.boolean("plaintext_secrets", not top.has("accounts")),
    )


def _check_account_domains(
    top: TableReader, accounts: tuple[AccountConfig, ...], domains: tuple[str, ...]
) -> None:
    for index, account in enumerate(accounts):
        domain = account.user.rpartition("@")[2].lower()
        if domain in domains:
            continue
        if not top.has("accounts"):
            raise top.fail(
                "domains",
                f"the default demo accounts are in {DEMO_DOMAIN}: add it or list [[accounts]]",
            )
        raise top.fail(
            f"accounts[{index}].user",
            f"{account.user!r} is not in a local domain ({', '.join(domains)})",
        )


def _check_routes_are_remote(
    top: TableReader, routes: Mapping[str, Route], domains: tuple[str, ...]
) -> None:
    for domain in routes:
        if domain in domains:
            raise top.fail(f"routes.{domain}", "a local domain is delivered here, not relayed")


def _data_dir(top: TableReader, name: str, base_dir: Path | None) -> Path:
    text = top.optional_string("data_dir")
    if text is None:
        return _cache_home() / "mailharness" / name
    return resolve_path(Path(text), base_dir)


def _cache_home() -> Path:
    # XDG Base Directory: $XDG_CACHE_HOME if set and absolute, else ~/.cache.
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    return Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"


__all__ = [
    "AccountConfig",
    "ConfigError",
    "Limits",
    "ListenerConfig",
    "RelaySettings",
    "Route",
    "RouteTLS",
    "ServerConfig",
    "TLSFiles",
    "default_config",
    "load_server_config",
    "parse_server_config",
]
