"""``mailharness conform``: exit status, outputs and baselines, against the fake SMTP server.

The command runs its own trio loop, so it runs in a worker thread while the
test's loop serves the fake server.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trio

from harness.commands.conform import ConformOptions, conform
from harness.targets import write_target
from tests.conformance.fake_smtp import FakeSMTP

CASE = """\
+++
id = "{id}"
title = "NOOP is answered 250"
rfc = "RFC 5321"
section = "4.1.1.9"
level = "{level}"
protocol = "smtp"
service = "smtp"
+++
C: {verb}
S: 250 ${{*}}
"""


@pytest.fixture
async def fake(nursery: trio.Nursery) -> AsyncIterator[FakeSMTP]:
    server = FakeSMTP()
    await nursery.start(server.serve)
    yield server


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    """Three cases: a MUST and a SHOULD that pass on a good server, a MAY about RSET."""
    root = tmp_path / "suites"
    (root / "smtp" / "connection").mkdir(parents=True)
    cases = {"noop": ("SMTP-NOOP", "MUST", "NOOP"), "rset": ("SMTP-RSET", "SHOULD", "RSET")}
    cases["helo"] = ("SMTP-HELO", "MAY", "HELO x")
    for name, (case_id, level, verb) in cases.items():
        text = CASE.format(id=case_id, level=level, verb=verb)
        (root / "smtp" / "connection" / f"{name}.mhs").write_text(text, encoding="utf-8")
    return root


async def conform_with(fake: FakeSMTP, tmp_path: Path, suite: Path, **changes: object) -> int:
    target_file = tmp_path / "fake.toml"
    write_target(fake.target(), target_file)
    values: dict[str, object] = {
        "target": str(target_file),
        "suites": [suite],
        "out": tmp_path / "run",
        "quiet": True,
        "jobs": 2,
    }
    values.update(changes)
    options = ConformOptions(**values)  # type: ignore[arg-type]
    return await trio.to_thread.run_sync(conform, options)


async def test_a_conforming_server_exits_0_and_writes_the_report(
    fake: FakeSMTP, tmp_path: Path, suite: Path
) -> None:
    junit = tmp_path / "elsewhere" / "junit.xml"
    assert await conform_with(fake, tmp_path, suite, junit=junit) == 0
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["schema_version"] == 1
    assert report["summary"]["by_verdict"]["passed"] == 3
    assert [case["id"] for case in report["cases"]] == ["SMTP-HELO", "SMTP-NOOP", "SMTP-RSET"]
    assert report["cases"][1]["file"] == "smtp/connection/noop.mhs"
    target = report["meta"]["target"]
    assert target["banners"]["smtp"] == "220 fake.test ESMTP ready"
    assert target["capabilities"]["smtp"]["before_tls"] == ["PIPELINING", "8BITMIME", "AUTH PLAIN"]
    assert target["capabilities"]["smtp"]["after_login"] is not None
    assert "<testsuites" in (tmp_path / "run" / "junit.xml").read_text()
    assert junit.exists()


async def test_exit_status_follows_the_level_of_what_failed(
    fake: FakeSMTP, tmp_path: Path, suite: Path
) -> None:
    fake.faults["RSET"] = b"502 5.5.1 no\r\n"  # a SHOULD case fails
    assert await conform_with(fake, tmp_path, suite) == 0
    assert await conform_with(fake, tmp_path, suite, strict=True) == 1
    fake.faults["NOOP"] = b"502 5.5.1 no\r\n"  # now a MUST case fails too
    assert await conform_with(fake, tmp_path, suite) == 1


async def test_with_a_baseline_only_changes_fail_the_run(
    fake: FakeSMTP, tmp_path: Path, suite: Path
) -> None:
    fake.faults["NOOP"] = b"502 5.5.1 no\r\n"
    baseline = tmp_path / "known.expected"
    assert await conform_with(fake, tmp_path, suite, write_baseline=baseline) == 1
    assert "SMTP-NOOP failed" in baseline.read_text()
    # The same failure again: known, so the run passes.
    assert await conform_with(fake, tmp_path, suite, baseline=baseline) == 0
    # A case the baseline records as passed now fails: a change, so the run fails.
    fake.faults.pop("NOOP")
    baseline.write_text("SMTP-NOOP passed\nSMTP-RSET passed\nSMTP-HELO passed\n")
    fake.faults["NOOP"] = b"421 4.3.0 shutting down\r\n"
    assert await conform_with(fake, tmp_path, suite, baseline=baseline) == 1


async def test_keyword_selects_cases(fake: FakeSMTP, tmp_path: Path, suite: Path) -> None:
    fake.faults["NOOP"] = b"502 5.5.1 no\r\n"
    assert await conform_with(fake, tmp_path, suite, keyword="rset or helo") == 0
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert [case["id"] for case in report["cases"]] == ["SMTP-HELO", "SMTP-RSET"]


async def test_usage_and_target_errors_exit_2(
    fake: FakeSMTP, tmp_path: Path, suite: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await conform_with(fake, tmp_path, suite, keyword="nothing-matches") == 2
    assert await conform_with(fake, tmp_path, suite, target=str(tmp_path / "missing.toml")) == 2
    broken = suite / "smtp" / "connection" / "broken.mhs"
    broken.write_text("+++\nid = 1\n+++\nC: NOOP\n", encoding="utf-8")
    assert await conform_with(fake, tmp_path, suite) == 2
    assert "broken.mhs" in capsys.readouterr().err
    broken.unlink()
    fake.port = 1  # nothing listens there: the target is unreachable
    assert await conform_with(fake, tmp_path, suite) == 2
    assert "no service answered" in capsys.readouterr().err


async def test_a_password_variable_that_is_not_set_is_a_target_error(
    fake: FakeSMTP, tmp_path: Path, suite: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target_file = tmp_path / "env.toml"
    write_target(fake.target(), target_file)
    text = target_file.read_text().replace('password = "p1"', 'password_env = "MH_TEST_UNSET_PW"')
    target_file.write_text(text)
    assert await conform_with(fake, tmp_path, suite, target=str(target_file)) == 2
    assert "MH_TEST_UNSET_PW is not set" in capsys.readouterr().err
