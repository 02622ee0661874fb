"""``mailharness compare`` through harness.cli.main, in process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.report.model import Report, Verdict, write_report
from tests.report.rich_samples import rich_report, with_verdicts


def run_dir(root: Path, name: str, report: Report) -> Path:
    folder = root / name
    folder.mkdir()
    write_report(report, folder / "report.json")
    return folder


@pytest.fixture
def runs(tmp_path: Path) -> dict[str, Path]:
    head = with_verdicts(rich_report("mine"), {"SMTP-NOOP": Verdict.FAILED})
    fixed = with_verdicts(rich_report("mine"), {"SMTP-RCPT-BEFORE-MAIL": Verdict.PASSED})
    return {
        "base": run_dir(tmp_path, "20240501-reference", rich_report()),
        "regressed": run_dir(tmp_path, "20240502-mine", head),
        "fixed": run_dir(tmp_path, "20240503-mine", fixed),
    }


def test_a_regression_exits_1_and_is_shown(runs: dict[str, Path], capsys) -> None:  # type: ignore[no-untyped-def]
    status = main(["compare", str(runs["base"]), str(runs["regressed"])])
    out = capsys.readouterr().out
    assert status == 1
    assert "REGRESSIONS: PASSED BEFORE, FAILED OR ERROR NOW" in out and "SMTP-NOOP" in out


def test_a_fix_alone_exits_0(runs: dict[str, Path], capsys) -> None:  # type: ignore[no-untyped-def]
    status = main(["compare", str(runs["base"] / "report.json"), str(runs["fixed"])])
    assert status == 0
    assert "exit 0: mine has no regression against reference" in capsys.readouterr().out


def test_markdown_to_a_file(runs: dict[str, Path], tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out_file = tmp_path / "compare.md"
    status = main(
        [
            "compare",
            str(runs["base"]),
            str(runs["regressed"]),
            "--format",
            "markdown",
            "--out",
            str(out_file),
        ]
    )
    assert status == 1
    assert out_file.read_text(encoding="utf-8").startswith("### mailharness compare: mine against")
    out = capsys.readouterr().out
    assert "mine against reference: 1 regression" in out and f"wrote {out_file}" in out


def test_html_with_three_runs(runs: dict[str, Path], tmp_path: Path) -> None:
    out_file = tmp_path / "matrix.html"
    paths = [str(runs[name]) for name in ("base", "fixed", "regressed")]
    status = main(["compare", *paths, "--format", "html", "--out", str(out_file)])
    html = out_file.read_text(encoding="utf-8")
    assert status == 0  # HEAD is the fixed run; the regressed one is only a matrix column
    assert "Conformance matrix" in html
    assert "mine #2 (20240503-mine)" in html and "mine #3 (20240502-mine)" in html


def test_warnings_reach_stderr_when_the_output_is_not_text(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    newer = rich_report()
    newer.meta.tool_version = "9.9.9"
    base = run_dir(tmp_path, "a", rich_report())
    head = run_dir(tmp_path, "b", newer)
    assert main(["compare", str(base), str(head), "--format", "markdown"]) == 0
    captured = capsys.readouterr()
    assert "mailharness compare: warning: " in captured.err and "9.9.9" in captured.err
    assert "> **Warning:**" in captured.out


def test_duration_thresholds_are_options(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    slower = rich_report()
    slower.cases[0].duration_ms = 230.0  # from 180 ms: +28%, +50 ms
    base = run_dir(tmp_path, "a", rich_report())
    head = run_dir(tmp_path, "b", slower)
    main(["compare", str(base), str(head)])
    assert "Duration changes" not in capsys.readouterr().out
    main(["compare", str(base), str(head), "--min-ratio", "1.2", "--min-ms", "40"])
    assert "SMTP-RCPT-BEFORE-MAIL  180 ms  230 ms  +28%" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("not json", "not JSON"),
        (json.dumps({"schema_version": 2}), "schema_version 2 is not supported"),
        (json.dumps({"hello": "world"}), "schema_version None is not supported"),
    ],
)
def test_unreadable_inputs_exit_2(
    runs: dict[str, Path],
    tmp_path: Path,
    capsys,
    content: str | None,
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    assert main(["compare", str(runs["base"]), str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mailharness compare: error: ") and message in err


def test_an_unwritable_output_exits_2(runs: dict[str, Path], tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "no-such-dir" / "out.txt"
    assert main(["compare", str(runs["base"]), str(runs["fixed"]), "--out", str(target)]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_one_report_is_a_usage_error(runs: dict[str, Path]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["compare", str(runs["base"])])
    assert exited.value.code == 2
