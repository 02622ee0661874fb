"""``mailharness report``: re-rendering a run and recording a baseline, in process."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from harness.cli import main
from harness.report.model import Verdict, write_report
from harness.report.policy import read_baseline
from tests.report.rich_samples import rich_report


def make_run(tmp_path: Path) -> Path:
    folder = tmp_path / "runs" / "20240501-120000-reference"
    folder.mkdir(parents=True)
    write_report(rich_report(), folder / "report.json")
    return folder


def test_without_options_it_prints_the_terminal_summary(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    status = main(["report", str(make_run(tmp_path))])
    out = capsys.readouterr().out
    assert status == 1  # the run's own exit status: two MUST cases failed
    assert "mailharness 0.1.0 against reference (127.0.0.1)" in out and "IMAP-LOGIN-BANNER" in out


def test_every_format_is_written_beside_the_report(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    run = make_run(tmp_path)
    assert main(["report", str(run), "--html", "--junit", "--markdown"]) == 1
    html = (run / "index.html").read_text(encoding="utf-8")
    assert '<a href="pcaps/smtp-starttls.pcap">' in html  # the page sits beside the pcaps
    assert ET.parse(run / "junit.xml").getroot().get("tests") == "8"
    assert (
        (run / "summary.md").read_text(encoding="utf-8").startswith("### mailharness conformance")
    )
    out = capsys.readouterr().out
    assert f"wrote {run / 'index.html'}" in out and f"wrote {run / 'junit.xml'}" in out


def test_html_written_elsewhere_links_back_to_the_run(tmp_path: Path) -> None:
    run = make_run(tmp_path)
    elsewhere = tmp_path / "site"
    elsewhere.mkdir()
    main(["report", str(run / "report.json"), "--html", str(elsewhere / "page.html")])
    html = (elsewhere / "page.html").read_text(encoding="utf-8")
    assert '<a href="../runs/20240501-120000-reference/pcaps/smtp-starttls.pcap">' in html


def test_a_recorded_baseline_makes_the_same_run_pass(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    run = make_run(tmp_path)
    baseline = tmp_path / "reference.txt"
    assert main(["report", str(run), "--baseline-out", str(baseline)]) == 1
    assert "wrote a baseline of 8 verdicts" in capsys.readouterr().out
    recorded = read_baseline(baseline)
    assert recorded["IMAP-LOGIN-BANNER"] is Verdict.FAILED and len(recorded) == 8
    assert main(["report", str(run), "--baseline", str(baseline)]) == 0
    assert (
        "exit 0: no MUST case failed (2 known failures in the baseline)" in capsys.readouterr().out
    )


def test_strict_gates_should_cases(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    run = make_run(tmp_path)
    main(["report", str(run), "--strict"])
    assert "exit 1: 3 MUST/SHOULD case(s) failed" in capsys.readouterr().out


def test_usage_errors_exit_2(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    run = make_run(tmp_path)
    broken = tmp_path / "broken.txt"
    broken.write_text("ONLY-ONE-WORD\n", encoding="utf-8")
    assert main(["report", str(run), "--baseline", str(broken)]) == 2
    assert "broken.txt:1: expected 'case-id verdict'" in capsys.readouterr().err
    assert main(["report", str(run), "--baseline", str(tmp_path / "absent.txt")]) == 2
    assert "cannot read" in capsys.readouterr().err
