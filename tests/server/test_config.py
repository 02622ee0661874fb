"""ServerConfig: defaults without a file, the annotated example, validation errors
that name the key, and the target a running server describes itself with."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from harness.net import cached_certificate_paths
from harness.server.config import (
    ConfigError,
    Limits,
    default_config,
    load_server_config,
    parse_server_config,
)
from harness.server.sieve import compile_script
from harness.targets import TLSMode, load_target, write_target

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "server-config.example.toml"
SERVICES = ("smtp", "submission", "smtps", "pop3", "pop3s", "imap", "imaps")


def parse(toml_text: str, tmp_path: Path) -> object:
    file = tmp_path / "server.toml"
    file.write_text(toml_text, encoding="utf-8")
    return load_server_config(file)


def test_defaults_need_no_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    config = default_config()
    assert (config.host, config.domains) == ("127.0.0.1", ("example.test",))
    assert config.data_dir == tmp_path / "mailharness" / "reference"
    assert config.require_tls_for_auth is True
    assert tuple(config.listeners) == SERVICES
    assert all(listener.port == 0 for listener in config.listeners.values())
    tls = {name: listener.tls for name, listener in config.listeners.items()}
    assert tls["smtp"] is tls["submission"] is tls["pop3"] is tls["imap"] is TLSMode.STARTTLS
    assert tls["smtps"] is tls["pop3s"] is tls["imaps"] is TLSMode.IMPLICIT
    assert config.listeners["submission"].auth_required
    assert not config.listeners["smtp"].auth_required
    users = {account.user: account.password for account in config.accounts}
    assert users["alice@example.test"] == "alicepw" and users["bob@example.test"] == "bobpw"
    assert [users[f"load{n}@example.test"] for n in range(1, 41)] == ["loadpw"] * 40
    assert len(users) == 42
    assert config.limits.max_message_size == 50 * 1024 * 1024
    assert config.routes == {} and config.tls.cert is None and config.tls.keylog is None


def test_cache_home_falls_back_to_dot_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert default_config("ci").data_dir == Path.home() / ".cache" / "mailharness" / "ci"


def test_the_annotated_example_parses_and_matches_the_defaults() -> None:
    config = load_server_config(EXAMPLE)
    defaults = default_config()
    assert config.listeners == defaults.listeners
    assert config.limits == defaults.limits == Limits()
    assert [a.user for a in config.accounts] == ["alice@example.test", "bob@example.test"]
    alice = config.accounts[0]
    assert alice.sieve is not None and "fileinto" in alice.sieve
    compile_script(alice.sieve)
    assert config.routes["relay.test"].port == 10026


def test_the_example_mentions_every_limit() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    missing = [f.name for f in dataclasses.fields(Limits) if f"\n{f.name} = " not in text]
    assert missing == []


def test_a_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    config = parse(
        """
        host = "::1"
        data_dir = "state"
        [listeners.smtp]
        port = 2525
        [listeners.pop3]
        enabled = false
        [limits]
        auth_failure_delay = 0
        [tls]
        cert = "c.pem"
        key = "k.pem"
        keylog = "/tmp/keys.log"
        """,
        tmp_path,
    )
    assert isinstance(config, type(default_config()))
    assert config.host == "::1"
    assert config.data_dir == tmp_path / "state"
    assert config.listeners["smtp"].port == 2525
    assert config.listeners["smtp"].tls is TLSMode.STARTTLS  # kept from the default
    assert [listener.service for listener in config.enabled_listeners()] == [
        s for s in SERVICES if s != "pop3"
    ]
    assert config.limits.auth_failure_delay == 0.0
    assert config.limits.smtp_idle_timeout == 300.0
    assert (config.tls.cert, config.tls.keylog) == (tmp_path / "c.pem", Path("/tmp/keys.log"))
    assert len(config.accounts) == 42


@pytest.mark.parametrize(
    ("toml_text", "kept"),
    [
        ("", True),  # the demo accounts: their passwords are public anyway
        ("plaintext_secrets = false", False),
        ('[[accounts]]\nuser = "a@example.test"\npassword = "x"', False),  # own accounts
        ('plaintext_secrets = true\n[[accounts]]\nuser = "a@example.test"\npassword = "x"', True),
    ],
)
def test_plaintext_secrets_default_on_only_for_the_demo_accounts(
    toml_text: str, kept: bool, tmp_path: Path
) -> None:
    # CRAM-MD5 and APOP need a plaintext-equivalent secret (docs/server.md, "Secrets")
    config = parse(toml_text, tmp_path)
    assert isinstance(config, type(default_config()))
    assert config.plaintext_secrets is kept
    assert default_config().plaintext_secrets is True
    assert load_server_config(EXAMPLE).plaintext_secrets is False


def test_sieve_file_is_read_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "bob.sieve").write_text('require "fileinto";\nfileinto "Archive";\n')
    config = parse(
        """
        [[accounts]]
        user = "bob@example.test"
        password = "pw"
        sieve_file = "bob.sieve"
        """,
        tmp_path,
    )
    assert config.accounts[0].sieve is not None and "Archive" in config.accounts[0].sieve
    assert config.accounts[0].sieve_origin == str(tmp_path / "bob.sieve")


@pytest.mark.parametrize(
    ("toml_text", "message"),
    [
        ('hots = "127.0.0.1"', r"hots: unknown key"),
        ("[listeners.smpt]\nport = 25", r"listeners.smpt: unknown key"),
        ('[listeners.imap]\ntls = "ssl"', r"listeners.imap.tls: expected one of none, starttls"),
        ("[listeners.imap]\nport = 70000", r"listeners.imap.port: must be 0..65535, got 70000"),
        ('[listeners.imap]\nport = "143"', r"listeners.imap.port: expected an integer"),
        ("[listeners.pop3]\nauth_required = true", r"listeners.pop3.auth_required: unknown key"),
        ('[limits]\nmax_message_size = "big"', r"limits.max_message_size: expected an integer"),
        ("[limits]\nmax_message_size = 0", r"limits.max_message_size: must be >= 1"),
        ("[limits]\nimap_idle_timeout = 0", r"limits.imap_idle_timeout: a timeout must be"),
        ("require_tls_for_auth = 1", r"require_tls_for_auth: expected true or false"),
        ('plaintext_secrets = "yes"', r"plaintext_secrets: expected true or false"),
        ('domains = ["other.test"]', r"domains: the default demo accounts are in example.test"),
        ('[[accounts]]\nuser = "eve@evil.test"\npassword = "x"', r"accounts\[0\].user: 'eve@evil"),
        ('[[accounts]]\nuser = "alice"\npassword = "x"', r"accounts\[0\].user: expected local@"),
        ('[[accounts]]\nuser = "a@example.test"', r"accounts\[0\].password: required key"),
        (
            '[[accounts]]\nuser = "a@example.test"\npassword = "x"\n'
            '[[accounts]]\nuser = "A@example.test"\npassword = "y"',
            r"accounts\[1\].user: 'A@example.test' is listed twice",
        ),
        (
            '[[accounts]]\nuser = "a@example.test"\npassword = "x"\nsieve = "frobnicate;"',
            r"accounts\[0\].sieve: Sieve script does not compile",
        ),
        (
            '[[accounts]]\nuser = "a@example.test"\npassword = "x"\nsieve_file = "nope.sieve"',
            r"accounts\[0\].sieve_file: cannot read",
        ),
        ('[routes]\n"relay.test" = "127.0.0.1"', r"routes.relay.test: expected host:port"),
        ('[routes]\n"example.test" = "127.0.0.1:25"', r"routes.example.test: a local domain"),
        ('[tls]\ncert = "c.pem"', r"tls.key: give cert and key together"),
        ("name = ", r"not valid TOML"),
    ],
)
def test_validation_errors_name_the_file_and_key(
    toml_text: str, message: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match=message) as failure:
        parse(toml_text, tmp_path)
    assert str(failure.value).startswith(str(tmp_path / "server.toml"))


def test_routes_accept_bracketed_ipv6() -> None:
    config = parse_server_config({"routes": {"Relay.Test": "[::1]:2525"}}, source="t")
    route = config.routes["relay.test"]
    assert (route.host, route.port) == ("::1", 2525)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read server config"):
        load_server_config(tmp_path / "absent.toml")


def test_target_written_for_a_running_server_loads_back(tmp_path: Path) -> None:
    config = parse_server_config(
        {"data_dir": str(tmp_path), "routes": {"relay.test": "127.0.0.1:10026"}}, source="t"
    )
    bound = {"smtp": 41025, "imaps": 41993}
    target_file = tmp_path / "target.toml"
    write_target(config.to_target(bound), target_file)
    target = load_target(target_file)
    assert {name: s.port for name, s in target.services.items()} == bound
    assert target.service("imaps").tls is TLSMode.IMPLICIT
    assert target.account(0).resolve_password() == "alicepw"
    assert len(target.accounts) == 42
    assert target.tls_verify and target.ca_file == cached_certificate_paths(tmp_path / "tls").cert
    assert target.relay is not None and target.relay.domain == "relay.test"


def test_generated_certificate_lives_under_data_dir(tmp_path: Path) -> None:
    config = parse_server_config({"data_dir": str(tmp_path)}, source="t")
    assert config.certificate().cert.parent == tmp_path / "tls"
    assert config.ssl_context().minimum_version.name == "TLSv1_2"


def test_target_trusts_the_certificate_by_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A relative data dir (mailharness run writes under reports/runs/...) must
    # still give a target file that works from its own folder and any cwd.
    monkeypatch.chdir(tmp_path)
    config = parse_server_config({"data_dir": "run/data"}, source="t")
    config.certificate()  # generated on first use
    target_file = tmp_path / "run" / "target.toml"
    write_target(config.to_target({"imaps": 41993}), target_file)
    target = load_target(target_file)
    assert target.ca_file is not None and target.ca_file.is_absolute()
    assert target.ca_file.is_file()
