"""curl's IMAP client (imap:// and imaps://) against the server: LIST, SELECT
and FETCH of a message by UID, as a user scripting the server would."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from harness.server.app import RunningServer
from tests.server.imap.helpers import ALICE, imap_server, in_thread, message, seed

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed"),
]


def curl(server: RunningServer, url: str, *options: str) -> bytes:
    ca_file = str(server.target().ca_file)
    command = ["curl", "--silent", "--show-error", "--max-time", "20", "--cacert", ca_file]
    command += ["--user", f"{ALICE[0]}:{ALICE[1]}", *options, url]
    done = subprocess.run(command, capture_output=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


async def test_curl_lists_and_fetches_over_starttls_and_implicit_tls(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        content = message(1, body="fetched by curl")
        (uid,) = await seed(server, ALICE[0], content)
        plain = f"imap://localhost:{server.port('imap')}"
        implicit = f"imaps://localhost:{server.port('imaps')}"

        def run() -> None:
            listing = curl(server, plain + "/", "--ssl-reqd")
            assert b'"/" INBOX' in listing and b"\\Sent" in listing
            fetched = curl(server, f"{plain}/INBOX/;UID={uid}", "--ssl-reqd")
            assert fetched == content
            assert curl(server, f"{implicit}/INBOX/;UID={uid}") == content
            search = curl(server, f"{implicit}/INBOX?SUBJECT%20%22message%201%22")
            assert search.strip() == b"* SEARCH 1"

        await in_thread(run)
