"""Target files: where a mail server is and how to log in (DESIGN.md §2 "Targets").

A target is a small TOML file every mailharness command understands. One table
per service that exists (smtp, submission, smtps, pop3, pop3s, imap, imaps),
each with a port and a TLS mode; test accounts; optional TLS verification
settings, local domains and a relay domain. The format is documented with
examples in docs/targets.md; ``mailharness serve --write-target FILE`` writes
one for the bundled server with ``write_target``.

This module does no I/O beyond reading and writing the file: the load side,
which may not import trio, reads targets too.
"""

from __future__ import annotations

import enum
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w

from harness.tomlkeys import SettingsError, TableReader

REFERENCE = "reference"
"""The name of the built-in target: the bundled server started in-process."""


class TLSMode(enum.StrEnum):
    """How a client reaches TLS on a service."""

    NONE = "none"  # plain TCP for the whole session
    STARTTLS = "starttls"  # plain TCP, upgraded by STARTTLS / STLS
    IMPLICIT = "implicit"  # TLS from the first byte (smtps, pop3s, imaps)


SERVICE_PROTOCOLS: Mapping[str, str] = {
    "smtp": "smtp",
    "submission": "smtp",
    "smtps": "smtp",
    "pop3": "pop3",
    "pop3s": "pop3",
    "imap": "imap",
    "imaps": "imap",
}
"""Every service a target may list, and the protocol it speaks."""

_TOP_KEYS = ("name", "host", "domains", "accounts", "tls", "relay", *SERVICE_PROTOCOLS)


class TargetError(SettingsError):
    """A target file is malformed, or asked for something it does not have."""


@dataclass(frozen=True)
class Service:
    name: str
    port: int
    tls: TLSMode

    @property
    def protocol(self) -> str:
        return SERVICE_PROTOCOLS[self.name]


@dataclass(frozen=True)
class Account:
    user: str
    password: str | None = None
    password_env: str | None = None
    origin: str = field(default="<memory>", compare=False)  # "file: accounts[i]", for errors

    def resolve_password(self) -> str:
        """The password, read from the environment at use time when so configured."""
        if self.password is not None:
            return self.password
        assert self.password_env is not None  # parse_target guarantees one of the two
        value = os.environ.get(self.password_env)
        if value is None:
            raise TargetError(
                f"{self.origin}.password_env: environment variable {self.password_env} is not set"
            )
        return value


@dataclass(frozen=True)
class Relay:
    """A second, non-local domain the server relays to (for relay and open-relay cases).

    ``peer`` is the server that receives mail for ``domain``, as a target of
    its own (its accounts are in ``domain``): the end-to-end cases submit on
    this target and read the message back there, or send to an unknown user
    there and expect the bounce back here. A target file names it with
    ``[relay] target = "FILE"`` (``peer_file``); the reference target starts one.
    """

    domain: str
    sink_host: str | None = None  # where mail for ``domain`` arrives, if the harness can read it
    sink_port: int | None = None
    peer: Target | None = field(default=None, compare=False)
    peer_file: str | None = None  # as written in the target file


@dataclass(frozen=True)
class Target:
    name: str
    host: str
    services: Mapping[str, Service]
    accounts: tuple[Account, ...] = ()
    tls_verify: bool = True
    ca_file: Path | None = None
    domains: tuple[str, ...] = ()
    relay: Relay | None = None
    source: str = field(default="<memory>", compare=False)

    def service(self, name: str) -> Service:
        if name not in self.services:
            offered = ", ".join(self.services) or "none"
            raise TargetError(f"{self.source}: no [{name}] service (target has: {offered})")
        return self.services[name]

    def account(self, index: int) -> Account:
        if not 0 <= index < len(self.accounts):
            raise TargetError(
                f"{self.source}: account #{index + 1} needed, target lists {len(self.accounts)}"
            )
        return self.accounts[index]


def load_target(path: str | os.PathLike[str], *, follow_peer: bool = True) -> Target:
    """Read and validate a target file (and the relay peer's, one level deep: two
    targets may name each other as peers)."""
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TargetError(f"{file}: cannot read target file: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise TargetError(f"{file}: not valid TOML: {exc}") from exc
    target = parse_target(data, source=str(file), base_dir=file.parent)
    relay = target.relay
    if follow_peer and relay is not None and relay.peer_file is not None:
        peer_path = _relative_to(Path(relay.peer_file).expanduser(), file.parent)
        if peer_path.resolve() == file.resolve():
            raise TargetError(f"{file}: relay.target: a target cannot be its own relay peer")
        peer = load_target(peer_path, follow_peer=False)
        target = replace(target, relay=replace(relay, peer=peer))
    return target


def _relative_to(path: Path, base_dir: Path | None) -> Path:
    return base_dir / path if not path.is_absolute() and base_dir is not None else path


def parse_target(data: Mapping[str, Any], *, source: str, base_dir: Path | None = None) -> Target:
    """Validate parsed TOML; relative paths are taken from ``base_dir``."""
    top = TableReader(data, source=source, error=TargetError)
    top.reject_unknown(_TOP_KEYS)
    services = {
        name: _parse_service(top.table_at(name)) for name in SERVICE_PROTOCOLS if name in data
    }
    if not services:
        raise TargetError(
            f"{source}: no service table: list at least one of {', '.join(SERVICE_PROTOCOLS)}"
        )
    accounts = tuple(_parse_account(reader) for reader in top.tables("accounts"))
    verify, ca_file = _parse_tls(top.table_at("tls"), base_dir)
    return Target(
        name=top.string("name"),
        host=top.string("host"),
        services=services,
        accounts=accounts,
        tls_verify=verify,
        ca_file=ca_file,
        domains=tuple(top.strings("domains", _domains_of(accounts))),
        relay=_parse_relay(top.table_at("relay")) if "relay" in data else None,
        source=source,
    )


def _parse_service(table: TableReader) -> Service:
    table.reject_unknown(("port", "tls"))
    name = table.path
    # The implicit-TLS services have one sensible mode; the others must say.
    default_tls = TLSMode.IMPLICIT.value if name in ("smtps", "pop3s", "imaps") else None
    tls = table.choice("tls", [mode.value for mode in TLSMode], default_tls)
    return Service(name=name, port=table.integer("port", low=1, high=65535), tls=TLSMode(tls))


def _parse_account(table: TableReader) -> Account:
    table.reject_unknown(("user", "password", "password_env"))
    password, password_env = (
        table.optional_string("password"),
        table.optional_string("password_env"),
    )
    if (password is None) == (password_env is None):
        raise table.fail("password", "give exactly one of password or password_env")
    return Account(
        user=table.string("user"),
        password=password,
        password_env=password_env,
        origin=f"{table.source}: {table.path}",
    )


def _parse_tls(table: TableReader, base_dir: Path | None) -> tuple[bool, Path | None]:
    table.reject_unknown(("verify", "ca_file"))
    ca_text = table.optional_string("ca_file")
    ca_file = None
    if ca_text is not None:
        ca_file = Path(ca_text).expanduser()
        if not ca_file.is_absolute() and base_dir is not None:
            ca_file = base_dir / ca_file
    return table.boolean("verify", True), ca_file


def _parse_relay(table: TableReader) -> Relay:
    table.reject_unknown(("domain", "sink_host", "sink_port", "target"))
    domain = table.string("domain")
    has_host, has_port = table.has("sink_host"), table.has("sink_port")
    if has_host != has_port:
        raise table.fail(
            "sink_port" if has_host else "sink_host", "give sink_host and sink_port together"
        )
    return Relay(
        domain=domain,
        sink_host=table.optional_string("sink_host"),
        sink_port=table.integer("sink_port", low=1, high=65535) if has_port else None,
        peer_file=table.optional_string("target"),
    )


def _domains_of(accounts: tuple[Account, ...]) -> list[str]:
    """Local domains default to those of the accounts, in first-seen order."""
    seen: dict[str, None] = {}
    for account in accounts:
        if "@" in account.user:
            seen[account.user.rsplit("@", 1)[1]] = None
    return list(seen)


def target_to_toml(target: Target) -> dict[str, Any]:
    """The target as a TOML-ready dict, in the order the docs show."""
    data: dict[str, Any] = {"name": target.name, "host": target.host}
    if target.domains:
        data["domains"] = list(target.domains)
    for name, service in target.services.items():
        data[name] = {"port": service.port, "tls": service.tls.value}
    data["accounts"] = [_account_to_toml(account) for account in target.accounts]
    data["tls"] = {"verify": target.tls_verify}
    if target.ca_file is not None:
        data["tls"]["ca_file"] = str(target.ca_file)
    if target.relay is not None:
        relay = target.relay
        data["relay"] = {"domain": relay.domain}
        if relay.sink_host is not None and relay.sink_port is not None:
            data["relay"].update(sink_host=relay.sink_host, sink_port=relay.sink_port)
        if relay.peer_file is not None:
            data["relay"]["target"] = relay.peer_file
    return data


def _account_to_toml(account: Account) -> dict[str, str]:
    if account.password is not None:
        return {"user": account.user, "password": account.password}
    assert account.password_env is not None
    return {"user": account.user, "password_env": account.password_env}


def write_target(target: Target, path: str | os.PathLike[str]) -> None:
    """Write ``target`` so that ``load_target(path)`` gives it back.

    The file is replaced atomically: a CI script polling for it never reads half.
    """
    file = Path(path)
    partial = file.with_name(f".{file.name}.partial")
    partial.write_text(tomli_w.dumps(target_to_toml(target)), encoding="utf-8")
    os.replace(partial, file)
