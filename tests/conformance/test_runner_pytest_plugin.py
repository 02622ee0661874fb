"""The pytest plugin maps the runner's verdicts onto pytest outcomes, one item per script.

pytest runs in a subprocess (as a user would run it) while this test's trio
loop serves the fake SMTP server it is pointed at.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import trio

from harness.targets import write_target
from tests.conformance.fake_smtp import FakeSMTP

CHECKOUT = Path(__file__).resolve().parents[2]
HEADER = """\
+++
id = "{id}"
title = "a case"
rfc = "RFC 5321"
section = "4.1"
level = "MUST"
protocol = "smtp"
service = "smtp"
{extra}
+++
"""
CASES = {
    "noop": ("SMTP-NOOP", "", "C: NOOP\nS: 250 ${*}\n"),
    "rset": ("SMTP-RSET", "", "C: RSET\nS: 250 ${*}\n"),
    "chunking": ("SMTP-BDAT", 'requires = ["CHUNKING"]', "C: NOOP\nS: 250 ${*}\n"),
    "login": ("SMTP-AUTHED", 'state = "authenticated"', "C: NOOP\nS: 250 ${*}\n"),
}


async def test_passed_failed_skipped_and_error_become_pytest_outcomes(
    nursery: trio.Nursery, tmp_path: Path
) -> None:
    fake = FakeSMTP(faults={"RSET": b"502 5.5.1 no\r\n"})
    await nursery.start(fake.serve)
    suite = tmp_path / "suites" / "smtp" / "misc"
    suite.mkdir(parents=True)
    for name, (case_id, extra, body) in CASES.items():
        text = HEADER.format(id=case_id, extra=extra) + body
        (suite / f"{name}.mhs").write_text(text, encoding="utf-8")
    target_file = tmp_path / "fake.toml"
    write_target(fake.target(), target_file)
    fake.faults["AUTH"] = b"535 5.7.8 no\r\n"  # after the probe: the case's login fails
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(tmp_path / "suites"),
        "--mail-target",
        str(target_file),
        "-p",
        "no:cacheprovider",
        "-rA",
        "-o",
        "addopts=",
    ]
    done = await trio.run_process(
        command,
        capture_stdout=True,
        capture_stderr=True,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(CHECKOUT)},
    )
    output = done.stdout.decode()
    assert done.returncode == 1, output + done.stderr.decode()
    assert "1 failed, 1 passed, 1 skipped, 1 error" in output
    assert "smtp/misc/rset.mhs:12: expected S: 250 ${*}, got S: 502 5.5.1 no" in output
    assert "target lacks CHUNKING on smtp" in output
    assert "smtp AUTH: expected 235, got 535" in output
    assert "PASSED suites/smtp/misc/noop.mhs::SMTP-NOOP" in output


async def test_the_default_target_is_the_reference_server_run_for_the_session() -> None:
    suites = CHECKOUT / "suites"
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(suites / "pop3"),
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
    ]
    done = await trio.run_process(
        command,
        capture_stdout=True,
        capture_stderr=True,
        check=False,
        cwd=CHECKOUT,
        env={**os.environ, "PYTHONPATH": str(CHECKOUT)},
    )
    output = done.stdout.decode()
    assert done.returncode == 0, output + done.stderr.decode()
    assert f"{len(list((suites / 'pop3').rglob('*.mhs')))} passed" in output
