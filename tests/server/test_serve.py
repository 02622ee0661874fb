"""``mailharness serve`` as a user runs it: a real process, its output, its target file."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import trio

from harness.cli import build_parser, main
from harness.commands.serve import build_config
from harness.targets import TLSMode, load_target

pytestmark = pytest.mark.timeout(60)

ACCOUNTS_TOML = """
domains = ["example.test"]
[[accounts]]
user = "alice@example.test"
password = "alicepw"
[limits]
auth_failure_delay = 0.0
"""


async def read_until(stream: trio.abc.ReceiveStream, marker: bytes) -> bytes:
    received = b""
    with trio.fail_after(30):
        while marker not in received:
            chunk = await stream.receive_some(4096)
            if not chunk:
                raise AssertionError(f"process ended before {marker!r}: {received!r}")
            received += chunk
    return received


async def test_serve_writes_a_target_whose_ports_accept_connections(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text(ACCOUNTS_TOML, encoding="utf-8")
    target_file = tmp_path / "target.toml"
    command = [sys.executable, "-m", "harness.cli", "serve", "--config", str(config)]
    command += ["--data-dir", str(tmp_path / "data"), "--write-target", str(target_file)]
    process = await trio.lowlevel.open_process(command, stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        output = await read_until(process.stdout, b"ready")
        target = load_target(target_file)
        assert b"pop3 " in output and b"starttls" in output
        # own [[accounts]]: no plaintext-equivalent secrets, so no CRAM-MD5 nor APOP
        assert b"logins: SASL SCRAM-SHA-256 PLAIN LOGIN; APOP off" in output
        assert target.services["pop3"].tls is TLSMode.STARTTLS
        assert target.services["pop3s"].tls is TLSMode.IMPLICIT
        assert [(a.user, a.password) for a in target.accounts] == [
            ("alice@example.test", "alicepw")
        ]
        for service in target.services.values():
            stream = await trio.open_tcp_stream(target.host, service.port)
            if service.name == "pop3":
                assert (await stream.receive_some(512)).startswith(b"+OK ")
            await stream.aclose()
        process.send_signal(signal.SIGTERM)
        with trio.fail_after(20):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def test_a_bad_config_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "server.toml"
    config.write_text('nmae = "typo"\n', encoding="utf-8")
    assert main(["serve", "--config", str(config)]) == 2
    error = capsys.readouterr().err
    assert "nmae: unknown key" in error and str(config) in error


def test_a_port_in_use_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "server.toml"
    config.write_text(ACCOUNTS_TOML, encoding="utf-8")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        argv = ["serve", "--config", str(config), "--data-dir", str(tmp_path / "data")]
        assert main([*argv, "--port", f"pop3s={port}"]) == 2
    assert f"pop3s: cannot listen on 127.0.0.1 port {port}" in capsys.readouterr().err


def test_an_unknown_service_in_port_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--port", "pop4=110"])
    assert exit_.value.code == 2
    assert "expected SERVICE=PORT" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "kept"),
    [([], True), (["--no-plaintext-secrets"], False), (["--plaintext-secrets"], True)],
)
def test_plaintext_secrets_flag_overrides_the_config(
    flags: list[str], kept: bool, tmp_path: Path
) -> None:
    args = build_parser().parse_args(["serve", *flags])
    assert build_config(args).plaintext_secrets is kept  # no file: the demo accounts keep them
    config = tmp_path / "server.toml"
    config.write_text(ACCOUNTS_TOML, encoding="utf-8")
    args = build_parser().parse_args(["serve", "--config", str(config), *flags])
    assert build_config(args).plaintext_secrets is (kept and bool(flags))
