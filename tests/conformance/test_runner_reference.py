"""The runner and the main job against the bundled reference server (started in-process)."""

from __future__ import annotations

import json
from pathlib import Path

from harness.cli import main
from harness.conformance.campaign import run_conformance
from harness.conformance.reference import open_target
from harness.conformance.selection import collect_scripts
from harness.report import Verdict

SUITES = Path(__file__).resolve().parents[2] / "suites"


async def test_every_example_script_passes_against_the_reference_server() -> None:
    """Every case passes or is skipped with its reason (an extension the
    reference server does not offer, a policy it does not have); none fails."""
    scripts = collect_scripts([SUITES])
    async with open_target("reference") as target:
        report = await run_conformance(target, scripts, jobs=4)
    judged = {Verdict.PASSED, Verdict.SKIPPED}
    broken = [
        f"{c.id}: {c.verdict.value}: {c.reason}" for c in report.cases if c.verdict not in judged
    ]
    skipped = [c for c in report.cases if c.verdict is Verdict.SKIPPED]
    print(f"{len(skipped)} skipped:", *(f"  {c.id}: {c.reason}" for c in skipped), sep="\n")
    assert broken == []
    assert [c.id for c in skipped if not (c.reason or "").strip()] == []  # a skip says why
    assert len(skipped) < len(report.cases) // 10  # skips stay the exception
    assert set(report.meta.target.capabilities) >= {"smtp", "pop3", "imap"}


def test_the_main_job_runs_every_suite_against_the_reference_and_writes_the_report(
    tmp_path: Path,
) -> None:
    assert main(["run", "--out", str(tmp_path / "run"), "--quiet"]) == 0
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["meta"]["target"]["name"] == "reference"
    assert report["summary"]["total"] == len(collect_scripts([SUITES]))
    assert (tmp_path / "run" / "junit.xml").exists()
    assert (tmp_path / "run" / "index.html").exists()
