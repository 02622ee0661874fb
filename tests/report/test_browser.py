"""The HTML report in a real headless browser (Debian's chromium), two launches in all.

The first launch dumps the DOM after the page's script ran, opened with a
filter in the URL (``#q=level:must``), and collects every console message;
the second takes a screenshot. Skipped, with the reason shown, where no
chromium is installed (CI installs the ``chromium`` package).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import struct
import subprocess
from pathlib import Path

import pytest

from harness.report.html import write_html
from harness.report.model import Verdict
from tests.report.rich_samples import rich_report

BROWSER = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="chromium is not installed (Debian package 'chromium')"
)
LAUNCH_TIMEOUT_S = 60
FLAGS = (
    "--headless",
    "--no-sandbox",  # CI runs as root, where chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)
# Chromium logs every console message of the page, whatever its level, like
#   [..:INFO:CONSOLE:1] "Uncaught ReferenceError: x is not defined", source: file:///... (1)
CONSOLE = re.compile(r":CONSOLE[^\]]*\] (.*)")


def launch(page: Path, profile: Path, *extra: str, url_suffix: str = "") -> tuple[str, list[str]]:
    """Run chromium once on ``page``; return its stdout and the console messages it logged."""
    command = [BROWSER or "chromium", *FLAGS, f"--user-data-dir={profile}", *extra]
    command.append(page.resolve().as_uri() + url_suffix)
    # Its own session, so a hung browser is killed with all its helper processes.
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = process.communicate(timeout=LAUNCH_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"chromium did not finish within {LAUNCH_TIMEOUT_S}s")
    assert process.returncode == 0, err[-2000:]
    return out, [match.group(1) for match in CONSOLE.finditer(err)]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    write_html(rich_report(), folder / "index.html")
    return folder


@pytest.fixture(scope="module")
def filtered_dom(rendered: Path) -> tuple[str, list[str]]:
    return launch(
        rendered / "index.html", rendered / "profile-dom", "--dump-dom", url_suffix="#q=level:must"
    )


def test_the_page_logs_nothing_to_the_console(filtered_dom: tuple[str, list[str]]) -> None:
    _, console = filtered_dom
    assert console == []


def test_the_failing_cases_are_in_the_dom_and_shown(filtered_dom: tuple[str, list[str]]) -> None:
    dom, _ = filtered_dom
    failed = rich_report().cases
    for case in (c for c in failed if c.verdict is Verdict.FAILED):
        opening = re.search(rf'<details class="case v-failed"[^>]*>\s*<summary>.*?{case.id}', dom)
        assert opening, f"{case.id} is not on the page"
        assert " hidden" not in opening.group(0) and " open" in opening.group(0)


def test_the_script_ran_and_applied_the_filter_from_the_url(
    filtered_dom: tuple[str, list[str]],
) -> None:
    dom, _ = filtered_dom
    form = re.search(r'<form class="filter"[^>]*>', dom)
    assert form and "hidden" not in form.group(0)  # the script reveals the filter box
    assert (
        '<span id="filter-count" class="muted" aria-live="polite">4 of 8 cases shown</span>' in dom
    )
    hidden = re.findall(r'<details class="case v-\w+"[^>]*data-tags="([^"]*)"[^>]* hidden', dom)
    assert len(hidden) == 4 and all("level:must " not in tags for tags in hidden)


def test_server_bytes_did_not_run_as_script(filtered_dom: tuple[str, list[str]]) -> None:
    dom, _ = filtered_dom
    assert "data-pwned" not in dom.split("<body", 1)[1].split(">", 1)[0]
    assert "&lt;script&gt;document.body.setAttribute(" in dom


def test_screenshot(rendered: Path) -> None:
    shot = rendered / "index.png"
    _, console = launch(
        rendered / "index.html",
        rendered / "profile-shot",
        f"--screenshot={shot}",
        "--window-size=1280,2200",
    )
    assert console == []
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2200)
    assert len(data) > 50_000  # a rendered page, not a blank one
