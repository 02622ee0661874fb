"""The POP3 server against curl (pop3:// with STLS, pop3s://, plaintext pop3://).

curl is a real client nobody here wrote; these tests skip, saying so, only
when it is not installed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import trio

from harness.server.app import RunningServer
from tests.server.pop3.helpers import ALICE, inbox_uids, pop3_server, seed

CURL = shutil.which("curl")
pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(CURL is None, reason="curl is not installed: POP3 curl interop not run"),
]

MESSAGES = [
    b"From: bob@example.test\r\nSubject: one\r\n\r\nhello from curl test\r\n.leading dot\r\n",
    b"From: bob@example.test\r\nSubject: two\r\n\r\nsecond\r\n",
]


async def curl(server: RunningServer, url_path: str, *options: str, scheme: str = "pop3") -> bytes:
    service = "pop3s" if scheme == "pop3s" else "pop3"
    url = f"{scheme}://127.0.0.1:{server.port(service)}/{url_path}"
    assert CURL is not None
    command = [CURL, "--silent", "--show-error", "--max-time", "20", "--user", ":".join(ALICE)]
    result = await trio.run_process(
        [*command, *options, url], capture_stdout=True, capture_stderr=True, check=False
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return bytes(result.stdout)


async def test_curl_lists_and_retrieves_over_stls(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server:
        await seed(server, ALICE[0], *MESSAGES)
        listing = await curl(server, "", "--ssl-reqd", "--insecure")
        message = await curl(server, "1", "--ssl-reqd", "--insecure")
        assert listing == b"".join(f"{n} {len(m)}\r\n".encode() for n, m in enumerate(MESSAGES, 1))
        assert message == MESSAGES[0]


async def test_curl_over_pop3s(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server:
        await seed(server, ALICE[0], *MESSAGES)
        assert await curl(server, "2", "--insecure", scheme="pop3s") == MESSAGES[1]


async def test_curl_dele_via_custom_request_removes_the_message(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server:
        uids = await seed(server, ALICE[0], *MESSAGES)
        await curl(server, "1", "--insecure", "--request", "DELE", "--list-only", scheme="pop3s")
        assert await inbox_uids(server, ALICE[0]) == uids[1:]


async def test_curl_plaintext_pop3_when_tls_is_not_required(tmp_path: Path) -> None:
    async with pop3_server(tmp_path, require_tls_for_auth=False) as server:
        await seed(server, ALICE[0], *MESSAGES)
        assert await curl(server, "1") == MESSAGES[0]


async def test_curl_plaintext_login_is_refused_when_tls_is_required(tmp_path: Path) -> None:
    async with pop3_server(tmp_path) as server:
        await seed(server, ALICE[0], *MESSAGES)
        assert CURL is not None
        url = f"pop3://127.0.0.1:{server.port('pop3')}/1"
        result = await trio.run_process(
            [CURL, "--silent", "--max-time", "20", "--user", ":".join(ALICE), url],
            capture_stdout=True,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        assert result.returncode != 0 and result.stdout == b""
