"""compare: flips, added and removed cases, capabilities, durations, warnings, matrix."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from harness.report.compare import (
    CapabilityChange,
    CompareInputError,
    DurationThreshold,
    FlipKind,
    LoadedReport,
    compare_reports,
    load_report,
)
from harness.report.model import Capabilities, Machine, Report, Verdict, write_report
from tests.report.rich_samples import make_case, make_meta, rich_report, with_verdicts

P, F, S, E = Verdict.PASSED, Verdict.FAILED, Verdict.SKIPPED, Verdict.ERROR


def loaded(report: Report, source: str = "") -> LoadedReport:
    return LoadedReport(report.meta.target.name, source or report.meta.target.name, report)


def two(base: Report, head: Report, **threshold: float):  # type: ignore[no-untyped-def]
    return compare_reports([loaded(base), loaded(head)], DurationThreshold(**threshold))


def flat(cases: dict[str, Verdict], target: str = "reference") -> Report:
    return Report(make_meta(target), [make_case(i, v) for i, v in cases.items()])


def test_identical_reports_show_no_difference_and_pass() -> None:
    result = two(rich_report(), rich_report())
    pair = result.head
    assert pair.unchanged and not pair.durations and not pair.meta and not result.warnings
    assert result.status == 0 and result.matrix is None


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        (P, F, FlipKind.REGRESSION),
        (P, E, FlipKind.REGRESSION),
        (F, P, FlipKind.FIX),
        (E, P, FlipKind.FIX),
        (F, E, FlipKind.CHANGE),
        (P, S, FlipKind.CHANGE),
        (S, F, FlipKind.CHANGE),
        (S, P, FlipKind.CHANGE),
    ],
)
def test_flip_kinds_and_only_regressions_fail(
    before: Verdict, after: Verdict, kind: FlipKind
) -> None:
    result = two(flat({"A": before, "B": P}), flat({"A": after, "B": P}))
    (flip,) = result.head.flips
    assert (flip.case_id, flip.before, flip.after, flip.kind) == ("A", before, after, kind)
    assert result.status == (1 if kind is FlipKind.REGRESSION else 0)


def test_added_and_removed_cases_do_not_gate() -> None:
    result = two(flat({"OLD": P, "KEPT": P}), flat({"KEPT": P, "NEW": F}))
    assert [c.id for c in result.head.added] == ["NEW"]
    assert [c.id for c in result.head.removed] == ["OLD"]
    assert result.status == 0 and not result.head.unchanged


def test_capability_changes_per_service_and_stage() -> None:
    base, head = rich_report(), rich_report()
    caps = head.meta.target.capabilities
    caps["smtp"] = Capabilities(["STARTTLS", "PIPELINING"], ["PIPELINING", "SMTPUTF8"])
    caps["imap"] = Capabilities(["IMAP4rev1", "STARTTLS"], ["IMAP4rev1"], None)
    caps["pop3"] = Capabilities(["UIDL"])
    changes = two(base, head).head.capabilities
    assert changes == [
        CapabilityChange(
            "smtp", "after_tls", ("PIPELINING", "AUTH=PLAIN"), ("PIPELINING", "SMTPUTF8")
        ),
        CapabilityChange("imap", "after_tls", None, ("IMAP4rev1",)),
        CapabilityChange("imap", "after_login", ("IMAP4rev1", "IDLE"), None),
        CapabilityChange("pop3", "before_tls", None, ("UIDL",)),
    ]  # smtp before_tls only changed order: not a change
    assert changes[0].added == ("SMTPUTF8",) and changes[0].removed == ("AUTH=PLAIN",)
    assert changes[2].removed == ("IMAP4rev1", "IDLE") and changes[2].added == ()


def test_only_significant_duration_changes_are_listed() -> None:
    timings = {"A": (100, 180), "B": (100, 250), "C": (1000, 1400), "D": (400, 100), "E": (1, 40)}
    base = Report(make_meta(), [make_case(i, P, duration_ms=b) for i, (b, _) in timings.items()])
    head = Report(make_meta(), [make_case(i, P, duration_ms=a) for i, (_, a) in timings.items()])
    changes = two(base, head).head.durations
    assert [(c.case_id, c.before_ms, c.after_ms) for c in changes] == [
        ("D", 400, 100),
        ("B", 100, 250),
    ]
    assert changes[0].percent == -75 and changes[1].percent == 150
    loose = two(base, head, ratio=1.2, min_ms=30).head.durations
    assert [c.case_id for c in loose] == ["C", "D", "B", "A", "E"]


def test_meta_differences_are_listed_without_the_noise_of_start_times() -> None:
    head = rich_report("dovecot-postfix")
    head.meta.target.banners["smtp"] = "220 mx ESMTP Postfix"
    head.meta.started = head.meta.started.replace(year=2025)
    head.meta.finished = head.meta.finished.replace(year=2025)
    names = {m.name: (m.before, m.after) for m in two(rich_report(), head).head.meta}
    assert names == {
        "target.name": ("reference", "dovecot-postfix"),
        "target.banners.smtp": ("220 mx.example ESMTP", "220 mx ESMTP Postfix"),
    }


def test_comparing_two_servers_is_not_a_warning() -> None:
    assert not two(rich_report("reference"), rich_report("dovecot-postfix")).warnings


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"tool_version": "0.2.0"}, "different mailharness versions (0.1.0 and 0.2.0)"),
        ({"git_commit": "abc1234"}, "different mailharness commits (077cc1c and abc1234)"),
        ({"suite_paths": ["suites/smtp"]}, "ran different suite sets"),
        (
            {"machine": Machine("laptop", "Darwin", "3.12")},
            "different machines (ci-runner and laptop)",
        ),
    ],
)
def test_reports_that_are_not_like_for_like_are_warned_about(change: dict, words: str) -> None:
    head = Report(make_meta(**change), rich_report().cases)
    warnings = two(rich_report(), head).warnings
    assert len(warnings) == 1 and words in warnings[0]


def test_two_runs_of_one_target_get_distinct_labels() -> None:
    reports = [
        LoadedReport("reference", "runs/0501-reference/report.json", rich_report()),
        LoadedReport("reference", "runs/0502-reference", rich_report()),
    ]
    result = compare_reports(reports)
    assert [r.label for r in result.reports] == [
        "reference #1 (0501-reference)",
        "reference #2 (0502-reference)",
    ]
    assert result.head.base == "reference #1 (0501-reference)"


def test_matrix_side_by_side_and_status_from_head_only() -> None:
    base = flat({"A": P, "B": F, "C": P}, "reference")
    head = flat({"A": P, "B": P, "C": P}, "mine")
    more = flat({"A": F, "C": P, "D": S}, "dovecot-postfix")
    result = compare_reports([loaded(base), loaded(head), loaded(more)])
    matrix = result.matrix
    assert matrix is not None and matrix.labels == ("reference", "mine", "dovecot-postfix")
    assert [(r.case_id, r.verdicts) for r in matrix.rows] == [
        ("A", (P, P, F)),
        ("B", (F, P, None)),
        ("C", (P, P, P)),
        ("D", (None, None, S)),
    ]
    assert [r.case_id for r in matrix.differing] == ["A", "B", "D"]
    assert [matrix.count(i, None) for i in range(3)] == [1, 1, 1]
    assert len(result.pairs) == 2 and len(result.pairs[1].regressions) == 1
    assert result.status == 0  # only HEAD gates; the third report is for the matrix


def test_compare_needs_two_reports() -> None:
    with pytest.raises(ValueError, match="at least two"):
        compare_reports([loaded(rich_report())])


def test_load_report_from_a_file_or_a_run_directory(tmp_path: Path) -> None:
    write_report(rich_report(), tmp_path / "report.json")
    from_dir = load_report(tmp_path)
    from_file = load_report(tmp_path / "report.json")
    assert from_dir.label == from_file.label == "reference" and from_dir.source == str(tmp_path)
    assert from_dir.report.to_dict() == rich_report().to_dict()


def test_unreadable_inputs_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(CompareInputError, match="does not exist"):
        load_report(tmp_path / "missing.json")
    with pytest.raises(CompareInputError, match=r"has no report\.json"):
        load_report(tmp_path)
    (tmp_path / "junk.json").write_text("<html>", encoding="utf-8")
    with pytest.raises(CompareInputError, match="is not a mailharness report: not JSON"):
        load_report(tmp_path / "junk.json")
    future = copy.deepcopy(rich_report().to_dict()) | {"schema_version": 99}
    (tmp_path / "future.json").write_text(json.dumps(future), encoding="utf-8")
    with pytest.raises(CompareInputError, match="schema_version 99 is not supported"):
        load_report(tmp_path / "future.json")
    (tmp_path / "latin1.json").write_bytes(b"\xff\xfe")
    with pytest.raises(CompareInputError, match="not a mailharness report"):
        load_report(tmp_path / "latin1.json")


def test_with_verdicts_helper_leaves_the_original_alone() -> None:
    original = rich_report()
    changed = with_verdicts(original, {"SMTP-NOOP": F})
    assert two(original, changed).status == 1 and original.cases[4].verdict is P
