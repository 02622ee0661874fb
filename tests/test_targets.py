"""Target files: the documented examples, write/load round trips, and errors that
name the file and the key."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from harness.targets import (
    Account,
    Relay,
    Service,
    Target,
    TargetError,
    TLSMode,
    load_target,
    parse_target,
    write_target,
)

DOCS = Path(__file__).resolve().parent.parent / "docs" / "targets.md"


def doc_examples() -> list[str]:
    return re.findall(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.S)


def write(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "target.toml"
    file.write_text(text, encoding="utf-8")
    return file


@pytest.mark.parametrize("example", doc_examples())
def test_every_example_in_the_docs_is_a_valid_target(example: str, tmp_path: Path) -> None:
    target = load_target(write(tmp_path, example))
    assert target.services


def test_the_dovecot_postfix_example_matches_the_private_stack(tmp_path: Path) -> None:
    [example] = [e for e in doc_examples() if 'name = "dovecot-postfix"' in e]
    target = load_target(write(tmp_path, example))
    ports = {name: (s.port, s.tls.value) for name, s in target.services.items()}
    assert ports == {
        "smtp": (10025, "starttls"),
        "submission": (10587, "starttls"),
        "smtps": (10465, "implicit"),
        "imap": (10143, "starttls"),
        "imaps": (10993, "implicit"),
        "pop3": (10110, "starttls"),
        "pop3s": (10995, "implicit"),
    }
    assert [(a.user, a.resolve_password()) for a in target.accounts] == [
        ("alice@example.test", "alicepw"),
        ("bob@example.test", "bobpw"),
    ]
    assert target.tls_verify is False
    assert target.service("pop3").protocol == "pop3"
    assert target.service("submission").protocol == "smtp"


def full_target(tmp_path: Path) -> Target:
    return Target(
        name="round-trip",
        host="::1",
        services={
            "submission": Service("submission", 587, TLSMode.STARTTLS),
            "imaps": Service("imaps", 993, TLSMode.IMPLICIT),
        },
        accounts=(
            Account("alice@example.test", password="alicepw"),
            Account("bob@example.test", password_env="BOB_PW"),
        ),
        tls_verify=True,
        ca_file=tmp_path / "ca.pem",
        domains=("example.test", "example.org"),
        relay=Relay("relay.test", "127.0.0.1", 10026),
    )


def test_write_then_load_gives_the_same_target(tmp_path: Path) -> None:
    target = full_target(tmp_path)
    file = tmp_path / "out.toml"
    write_target(target, file)
    assert load_target(file) == target
    assert not list(tmp_path.glob(".*.partial"))  # replaced atomically, nothing left over
    write_target(Target("min", "127.0.0.1", {"smtp": Service("smtp", 25, TLSMode.NONE)}), file)
    assert load_target(file).accounts == ()


def test_written_file_is_in_the_documented_shape(tmp_path: Path) -> None:
    file = tmp_path / "out.toml"
    write_target(full_target(tmp_path), file)
    data = tomllib.loads(file.read_text(encoding="utf-8"))
    assert data["submission"] == {"port": 587, "tls": "starttls"}
    assert data["accounts"][1] == {"user": "bob@example.test", "password_env": "BOB_PW"}
    assert data["tls"] == {"verify": True, "ca_file": str(tmp_path / "ca.pem")}


def test_password_env_is_read_when_needed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = write(
        tmp_path,
        'name = "t"\nhost = "h"\n[imap]\nport = 143\ntls = "starttls"\n'
        '[[accounts]]\nuser = "a@x.test"\npassword_env = "MH_TEST_PW"\n',
    )
    monkeypatch.delenv("MH_TEST_PW", raising=False)
    account = load_target(file).account(0)  # loading does not need the variable
    with pytest.raises(TargetError, match=r"target.toml: accounts\[0\].password_env: .*MH_TEST"):
        account.resolve_password()
    monkeypatch.setenv("MH_TEST_PW", "s3cret")
    assert account.resolve_password() == "s3cret"


def test_defaults_implicit_tls_relative_ca_file_and_domains(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        'name = "t"\nhost = "h"\n[imaps]\nport = 993\n[tls]\nca_file = "certs/ca.pem"\n'
        '[[accounts]]\nuser = "a@one.test"\npassword = "p"\n'
        '[[accounts]]\nuser = "b@two.test"\npassword = "p"\n'
        '[[accounts]]\nuser = "c@one.test"\npassword = "p"\n',
    )
    target = load_target(file)
    assert target.service("imaps").tls is TLSMode.IMPLICIT
    assert target.tls_verify is True
    assert target.ca_file == tmp_path / "certs" / "ca.pem"
    assert target.domains == ("one.test", "two.test")
    assert target.relay is None


def test_asking_for_what_the_target_lacks_names_it(tmp_path: Path) -> None:
    target = load_target(write(tmp_path, 'name = "t"\nhost = "h"\n[smtp]\nport = 25\ntls = "none"'))
    with pytest.raises(TargetError, match=r"no \[imap\] service \(target has: smtp\)"):
        target.service("imap")
    with pytest.raises(TargetError, match="account #1 needed, target lists 0"):
        target.account(0)


SMTP = '[smtp]\nport = 25\ntls = "none"\n'
HEAD = 'name = "t"\nhost = "h"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('host = "h"\n' + SMTP, r"name: required key is missing"),
        ('name = "t"\n' + SMTP, r"host: required key is missing"),
        ('name = ""\nhost = "h"\n' + SMTP, r"name: must not be empty"),
        (HEAD, r"no service table: list at least one of smtp, submission"),
        (HEAD + "[imap]\nport = 143", r"imap.tls: required key is missing"),
        (HEAD + '[imap]\nport = 143\ntls = "ssl"', r"imap.tls: expected one of none, starttls"),
        (HEAD + "[imaps]\nport = 0", r"imaps.port: must be 1..65535, got 0"),
        (HEAD + '[imaps]\nport = "993"', r"imaps.port: expected an integer, got '993'"),
        (HEAD + "[imaps]\nport = true", r"imaps.port: expected an integer, got True"),
        (HEAD + "[imaps]\nport = 993\nverify = false", r"imaps.verify: unknown key"),
        (HEAD + SMTP + "[imap4]\nport = 143", r"imap4: unknown key"),
        (HEAD + "imap = 143\n" + SMTP, r"imap: expected a table"),
        (HEAD + SMTP + '[[accounts]]\npassword = "p"', r"accounts\[0\].user: required key"),
        (
            HEAD + SMTP + '[[accounts]]\nuser = "u"',
            r"accounts\[0\].password: give exactly one of password or password_env",
        ),
        (
            HEAD + SMTP + '[[accounts]]\nuser = "u"\npassword = "p"\npassword_env = "E"',
            r"accounts\[0\].password: give exactly one",
        ),
        (HEAD + 'accounts = ["u"]\n' + SMTP, r"accounts\[0\]: expected a table"),
        (HEAD + SMTP + '[tls]\nverify = "no"', r"tls.verify: expected true or false"),
        (HEAD + SMTP + "[relay]\nsink_port = 25", r"relay.domain: required key"),
        (
            HEAD + SMTP + '[relay]\ndomain = "r.test"\nsink_host = "127.0.0.1"',
            r"relay.sink_port: give sink_host and sink_port together",
        ),
        (HEAD + 'domains = "example.test"\n' + SMTP, r"domains: expected a list of strings"),
        (HEAD + "domains = [1]\n" + SMTP, r"domains\[0\]: expected a non-empty string"),
        ("name = \n", r"not valid TOML"),
    ],
)
def test_errors_name_the_file_and_the_key(text: str, message: str, tmp_path: Path) -> None:
    file = write(tmp_path, text)
    with pytest.raises(TargetError, match=message) as failure:
        load_target(file)
    assert str(failure.value).startswith(f"{file}: ")


def test_missing_file_is_a_target_error(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="cannot read target file"):
        load_target(tmp_path / "nope.toml")


def test_parse_accepts_already_parsed_data() -> None:
    target = parse_target({"name": "t", "host": "h", "pop3s": {"port": 995}}, source="inline")
    assert target.service("pop3s") == Service("pop3s", 995, TLSMode.IMPLICIT)
    assert target.source == "inline"
