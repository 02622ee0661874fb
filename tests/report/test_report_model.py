"""The report model and its JSON form."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harness.report.model import (
    SCHEMA_VERSION,
    Machine,
    Report,
    ReportFormatError,
    Verdict,
    read_report,
    write_report,
)
from tests.report.samples import sample_report


def test_json_round_trip_is_lossless(tmp_path: Path) -> None:
    report = sample_report()
    report.load = {"note": "kept as given"}
    path = tmp_path / "run.json"
    write_report(report, path)
    again = read_report(path)
    assert again == report
    assert again.to_json() == report.to_json()


def test_json_layout_follows_the_documented_schema() -> None:
    document = json.loads(sample_report().to_json())
    assert list(document) == ["schema_version", "meta", "summary", "cases"]
    assert document["schema_version"] == SCHEMA_VERSION == 1
    meta = document["meta"]
    assert meta["started"] == "2024-05-01T12:00:00+00:00"
    assert meta["duration_s"] == 42.5
    assert meta["target"]["ports"] == {"smtp": 10025, "imap": 10143}
    assert meta["target"]["capabilities"]["imap"] == {
        "before_tls": ["IMAP4rev1", "STARTTLS"],
        "after_tls": None,
        "after_login": ["IMAP4rev1", "IDLE"],
    }
    first = document["cases"][0]
    assert first["verdict"] == "passed" and first["capture_complete"] is None
    assert "load" not in document  # the placeholder appears only when a load run fills it


def test_summary_counts_by_verdict_level_and_protocol() -> None:
    summary = sample_report().summary
    assert summary.total == 7
    assert summary.by_verdict == {"passed": 2, "failed": 3, "skipped": 1, "error": 1}
    assert list(summary.by_level) == ["MUST", "MUST NOT", "SHOULD", "MAY"]
    assert summary.by_level["MUST"] == {"passed": 1, "failed": 1, "skipped": 1, "error": 1}
    assert summary.by_protocol["imap"] == {"passed": 1, "failed": 0, "skipped": 1, "error": 1}


def test_summary_is_derived_from_cases_on_reading() -> None:
    document = sample_report().to_dict()
    document["summary"]["total"] = 999  # a hand edit cannot make counts disagree
    assert Report.from_dict(document).summary.total == 7


def test_unknown_keys_are_ignored_within_a_version() -> None:
    document = sample_report().to_dict()
    document["future_field"] = 1
    document["cases"][0]["future_case_field"] = "x"
    assert Report.from_dict(document).cases[0].id == "SMTP-NOOP"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(schema_version=2), "schema_version 2 is not supported"),
        (lambda d: d.pop("meta"), "meta must be an object"),
        (lambda d: d["meta"].pop("tool_version"), "meta lacks 'tool_version'"),
        (lambda d: d["meta"].update(started="yesterday"), "meta.started is not an ISO 8601 time"),
        (
            lambda d: d["cases"][1].update(verdict="flaky"),
            "cases[1].verdict 'flaky' is not a verdict",
        ),
        (lambda d: d["cases"][2].pop("level"), "cases[2] lacks 'level'"),
        (lambda d: d.update(cases={}), "'cases' must be a list"),
    ],
)
def test_reading_rejects_malformed_documents(edit, message: str) -> None:  # type: ignore[no-untyped-def]
    document = sample_report().to_dict()
    edit(document)
    with pytest.raises(ReportFormatError, match=re.escape(message)):
        Report.from_dict(document)


def test_not_json_is_a_format_error() -> None:
    with pytest.raises(ReportFormatError, match="not JSON"):
        Report.from_json("{")


def test_machine_describes_this_host() -> None:
    machine = Machine.current()
    assert machine.python.count(".") == 2 and machine.platform


def test_verdict_values_are_the_documented_strings() -> None:
    assert [v.value for v in Verdict] == ["passed", "failed", "skipped", "error"]


def test_the_documented_example_is_a_readable_report() -> None:
    readme = Path(__file__).resolve().parents[2] / "reports" / "README.md"
    found = re.search(r"```json\n(.*?)```", readme.read_text(encoding="utf-8"), re.DOTALL)
    assert found is not None
    document = json.loads(found.group(1))
    report = Report.from_dict(document)
    assert document["summary"] == report.to_dict()["summary"]
    assert document["meta"]["duration_s"] == report.meta.duration_s
