"""compare with load runs: deltas, regressions past a threshold, warnings, the three renderers."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from harness.report.compare import LoadedReport, compare_reports
from harness.report.compare_load import LoadThreshold
from harness.report.compare_text import render_compare_markdown, render_compare_text
from harness.report.html.compare_page import render_compare_html
from harness.report.model import write_report
from tests.report.load_reports import load_report
from tests.report.samples import sample_report


def loaded(name: str, label: str) -> LoadedReport:
    return LoadedReport(label, f"{name}.json", load_report(name))


def test_two_load_runs_give_per_command_deltas_and_no_gate_by_default() -> None:
    result = compare_reports([loaded("reference", "a"), loaded("reference-captured", "b")])
    load = result.head.load
    assert load is not None
    data_end = next(d for d in load.commands if d.name == "SMTP DATA end")
    base, head = load_report("reference").load, load_report("reference-captured").load
    assert base is not None and head is not None
    by_name = {c["name"]: c for c in base["commands"]}
    assert data_end.before["p95"] == by_name["SMTP DATA end"]["p95_ms"]
    assert data_end.ratio("p95") == pytest.approx(data_end.after["p95"] / data_end.before["p95"])
    messages = next(m for m in load.metrics if m.name == "messages/s")
    assert (messages.before, messages.after) == (base["messages_per_s"], head["messages_per_s"])
    assert [name for name, *_ in load.integrity] == [
        "sent", "acknowledged", "delivered", "lost", "duplicated", "corrupted",
    ]  # fmt: skip
    assert result.status == 0  # timings alone never gate unless asked


def test_lost_messages_are_a_load_regression_that_gates_only_when_asked() -> None:
    reports = [loaded("reference", "ref"), loaded("lossy", "lossy")]
    shown = compare_reports(reports)
    assert shown.head.load is not None
    lost = [r for r in shown.head.load.regressions if r.what == "lost"]
    assert lost and lost[0].after == "40"
    assert shown.status == 0
    gated = compare_reports(reports, load_threshold=LoadThreshold(1.2, gate=True))
    assert gated.status == 1 and gated.load_regressed
    assert any("ran different load profiles (tiny and lossy)" in w for w in gated.warnings)


def test_a_slower_head_regresses_past_the_threshold_only() -> None:
    slow = load_report("reference")
    assert slow.load is not None
    for command in slow.load["commands"]:
        if command["name"] == "SMTP DATA end":
            command["p95_ms"] *= 1.5
    reports = [loaded("reference", "base"), LoadedReport("slow", "slow.json", slow)]
    regressions = compare_reports(reports).head.load
    assert regressions is not None
    assert [r.what for r in regressions.regressions] == ["SMTP DATA end p95"]
    assert "1.50x slower (threshold 1.2x)" in regressions.regressions[0].why
    relaxed = compare_reports(reports, load_threshold=LoadThreshold(1.6, gate=True))
    assert relaxed.head.load is not None and relaxed.head.load.regressions == []


def test_a_conformance_report_against_a_load_report_warns() -> None:
    conformance = LoadedReport("conformance", "c.json", sample_report())
    result = compare_reports([conformance, loaded("reference", "load")])
    assert result.head.load is None
    assert any(
        "load is a load run and conformance is not (it has no load section)" in w
        for w in result.warnings
    )


def test_every_renderer_shows_the_load_tables() -> None:
    result = compare_reports([loaded("reference", "ref"), loaded("lossy", "lossy")])
    text = render_compare_text(result)
    assert "Load: latency per command (ms)" in text and "Load: integrity" in text
    assert "lost          0    40     +40 (WORSE)" in text
    markdown = render_compare_markdown(result)
    assert "#### Load regressions: lossy against ref past 1.2x" in markdown
    html = render_compare_html(result)
    assert "Load: throughput, errors and delivery" in html and "tiny: " in html


def test_the_command_gates_on_load_with_a_threshold(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    folders = []
    for name in ("reference", "lossy"):
        folder = tmp_path / name
        folder.mkdir()
        write_report(load_report(name), folder / "report.json")
        folders.append(str(folder))
    assert main(["compare", *folders]) == 0
    capsys.readouterr()
    assert main(["compare", *folders, "--load-threshold", "1.2"]) == 1
    out = capsys.readouterr().out
    assert "exit 1: lossy regressed against reference:" in out and "load regression" in out
    with pytest.raises(SystemExit):  # argparse: a ratio must be above 1
        main(["compare", *folders, "--load-threshold", "0.5"])
