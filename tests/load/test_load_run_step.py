"""``mailharness run``'s smoke step: the load result joins the run's report and page."""

from __future__ import annotations

from pathlib import Path

from harness.commands.run import SMOKE_PROFILE, STEPS, attach, conformance_step, load_smoke_step
from harness.load.profile import load_profile
from harness.load.result import LoadResult
from harness.report.model import read_report, write_report
from tests.report.load_reports import load_report
from tests.report.samples import sample_report


def test_the_smoke_load_runs_after_the_conformance_suites_and_is_short() -> None:
    assert [conformance_step, load_smoke_step] == STEPS
    smoke = load_profile(SMOKE_PROFILE)
    assert smoke.duration <= 15 and smoke.grace <= 15
    assert {"lost", "duplicated", "corrupted"} <= {name for name, _ in smoke.slo.counts}


def test_the_smoke_result_becomes_the_load_section_of_the_run(tmp_path: Path) -> None:
    write_report(sample_report(), tmp_path / "report.json")
    section = load_report("reference").load
    assert section is not None
    attach(LoadResult.from_json(section), tmp_path)
    report = read_report(tmp_path / "report.json")
    assert report.load is not None and report.load["profile"] == "tiny"
    assert len(report.cases) == len(sample_report().cases)
    page = (tmp_path / "index.html").read_text()
    assert '<h2 id="load">Load</h2>' in page and '<h2 id="cases">Cases</h2>' in page
