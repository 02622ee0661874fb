"""curl (smtp://, smtps://) and swaks against the reference server, as they
are run against Postfix: plain MX delivery, STARTTLS + AUTH submission,
implicit TLS. Skipped, with the reason shown, where the tool is missing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import trio

from harness.server.app import RunningServer
from tests.server.smtp.helpers import ALICE, BOB, originals, smtp_server

pytestmark = pytest.mark.timeout(60)

# curl sends the file as it is (dot-stuffed), so it is written with CRLF.
MESSAGE = b"From: <alice@example.test>\r\nSubject: by a real client\r\n\r\nhello\r\n.dot line\r\n"


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed")
    return path


async def _run(*argv: str) -> subprocess.CompletedProcess[bytes]:
    with trio.fail_after(30):
        done = await trio.run_process(
            list(argv), capture_stdout=True, capture_stderr=True, check=False
        )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done


def _ca(server: RunningServer) -> str:
    ca_file = server.target().ca_file
    assert ca_file is not None
    return str(ca_file)


async def test_curl_smtp_to_the_mx(tmp_path: Path) -> None:
    curl = _require("curl")
    message = tmp_path / "message.eml"
    message.write_bytes(MESSAGE)
    async with smtp_server(tmp_path) as server:
        await _run(
            curl, "--silent", "--show-error",
            f"smtp://127.0.0.1:{server.port('smtp')}/client.example",
            "--mail-from", "someone@remote.example",
            "--mail-rcpt", BOB[0], "--mail-rcpt", ALICE[0],
            "--upload-file", str(message),
        )  # fmt: skip
        assert await originals(server, BOB[0]) == [MESSAGE]
        assert await originals(server, ALICE[0]) == [MESSAGE]


async def test_curl_submission_starttls_with_login(tmp_path: Path) -> None:
    curl = _require("curl")
    message = tmp_path / "message.eml"
    message.write_bytes(MESSAGE)
    async with smtp_server(tmp_path) as server:
        await _run(
            curl, "--silent", "--show-error",
            f"smtp://localhost:{server.port('submission')}",
            "--ssl-reqd", "--cacert", _ca(server),
            "-u", f"{ALICE[0]}:{ALICE[1]}",
            "--mail-from", ALICE[0], "--mail-rcpt", BOB[0],
            "--upload-file", str(message),
        )  # fmt: skip
        (stored,) = await originals(server, BOB[0])
        assert stored == MESSAGE


async def test_curl_smtps_insecure_and_a_refused_login(tmp_path: Path) -> None:
    curl = _require("curl")
    message = tmp_path / "message.eml"
    message.write_bytes(MESSAGE)
    async with smtp_server(tmp_path) as server:
        url = f"smtps://127.0.0.1:{server.port('smtps')}"
        common = ["--silent", "--show-error", "--ssl-reqd", "--insecure", url]
        envelope = ["--mail-from", ALICE[0], "--mail-rcpt", BOB[0], "--upload-file", str(message)]
        await _run(curl, *common, "-u", f"{ALICE[0]}:{ALICE[1]}", *envelope)
        with trio.fail_after(30):
            refused = await trio.run_process(
                [curl, *common, "-u", f"{ALICE[0]}:wrong", *envelope],
                capture_stdout=True,
                capture_stderr=True,
                check=False,
            )
        assert refused.returncode == 67  # CURLE_LOGIN_DENIED
        assert await originals(server, BOB[0]) == [MESSAGE]


async def test_swaks_plain_mx_delivery(tmp_path: Path) -> None:
    swaks = _require("swaks")
    async with smtp_server(tmp_path) as server:
        done = await _run(
            swaks, "--server", "127.0.0.1", "--port", str(server.port("smtp")),
            "--protocol", "ESMTP", "--helo", "swaks.example",
            "--from", "someone@remote.example", "--to", BOB[0],
            "--header", "Subject: from swaks",
        )  # fmt: skip
        assert b"<-  250 2.0.0 Message accepted" in done.stdout
        (stored,) = await originals(server, BOB[0])
        assert b"Subject: from swaks\r\n" in stored


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
async def test_swaks_starttls_auth_submission(tmp_path: Path, mechanism: str) -> None:
    swaks = _require("swaks")
    async with smtp_server(tmp_path) as server:
        await _run(
            swaks, "--server", "127.0.0.1", "--port", str(server.port("submission")),
            "--tls", "--auth", mechanism, "--auth-user", ALICE[0], "--auth-password", ALICE[1],
            "--from", ALICE[0], "--to", BOB[0], "--header", f"Subject: swaks {mechanism}",
        )  # fmt: skip
        (stored,) = await originals(server, BOB[0])
        assert f"Subject: swaks {mechanism}\r\n".encode() in stored


async def test_swaks_ssmtp_implicit_tls(tmp_path: Path) -> None:
    swaks = _require("swaks")
    async with smtp_server(tmp_path) as server:
        done = await _run(
            swaks, "--server", "127.0.0.1", "--port", str(server.port("smtps")),
            "--protocol", "SSMTPA", "--auth", "PLAIN",
            "--auth-user", ALICE[0], "--auth-password", ALICE[1],
            "--from", ALICE[0], "--to", BOB[0],
        )  # fmt: skip
        assert b"TLS started" in done.stdout
        assert len(await originals(server, BOB[0])) == 1
