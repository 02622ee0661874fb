"""Exit status of a run, and baseline files of known verdicts.

The policy (reports/README.md, "Exit status"):

* a case *gates* the run when its level is MUST or MUST NOT, and in strict
  mode also SHOULD or SHOULD NOT; MAY cases never gate;
* a gating case that failed or errored fails the run (exit 1), unless a
  baseline lists that case with that same verdict: a known failure;
* so with a baseline only changes fail the run; new cases have no baseline
  entry and count like any other.

A baseline file has one ``case-id verdict`` per line; ``#`` starts a comment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.report.model import CaseResult, Report, Verdict

GATING_LEVELS = frozenset({"MUST", "MUST NOT"})
STRICT_LEVELS = GATING_LEVELS | {"SHOULD", "SHOULD NOT"}
NOT_PASSING = frozenset({Verdict.FAILED, Verdict.ERROR})


class BaselineError(ValueError):
    def __init__(self, source: str, line: int, message: str) -> None:
        super().__init__(f"{source}:{line}: {message}")
        self.line = line


def parse_baseline(text: str, source: str = "<baseline>") -> dict[str, Verdict]:
    verdicts: dict[str, Verdict] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if len(words) != 2:
            raise BaselineError(source, number, f"expected 'case-id verdict', got {line!r}")
        case_id, verdict = words
        if case_id in verdicts:
            raise BaselineError(source, number, f"{case_id} is listed twice")
        try:
            verdicts[case_id] = Verdict(verdict.lower())
        except ValueError:
            allowed = ", ".join(v.value for v in Verdict)
            raise BaselineError(source, number, f"verdict must be one of {allowed}") from None
    return verdicts


def read_baseline(path: Path | str) -> dict[str, Verdict]:
    file = Path(path)
    return parse_baseline(file.read_text(encoding="utf-8"), str(file))


def render_baseline(report: Report) -> str:
    """A baseline recording every verdict of ``report`` (to check in after review)."""
    target = report.meta.target.name
    lines = [
        f"# mailharness baseline: {target}, {report.meta.finished.date().isoformat()}",
        "# case-id verdict (only changes from these verdicts fail a run)",
    ]
    lines += [f"{case.id} {case.verdict.value}" for case in sorted(report.cases, key=_by_id)]
    return "\n".join(lines) + "\n"


def _by_id(case: CaseResult) -> str:
    return case.id


@dataclass(frozen=True)
class VerdictChange:
    case_id: str
    before: Verdict | None  # None: the baseline does not list the case
    after: Verdict


@dataclass(frozen=True)
class ExitDecision:
    status: int
    failing: tuple[CaseResult, ...]  # the cases that make the run fail
    tolerated: tuple[CaseResult, ...]  # gating failures the baseline already records
    changes: tuple[VerdictChange, ...]  # every verdict that differs from the baseline
    stale: tuple[str, ...]  # baseline entries with no case in this run
    strict: bool = False

    def explain(self) -> str:
        """One line for a terminal or a CI log."""
        levels = "MUST/SHOULD" if self.strict else "MUST"
        if not self.failing:
            known = (
                f" ({len(self.tolerated)} known failures in the baseline)" if self.tolerated else ""
            )
            return f"exit 0: no {levels} case failed{known}"
        ids = ", ".join(case.id for case in self.failing[:5])
        more = f" and {len(self.failing) - 5} more" if len(self.failing) > 5 else ""
        return f"exit 1: {len(self.failing)} {levels} case(s) failed: {ids}{more}"


def exit_decision(
    report: Report, *, strict: bool = False, baseline: Mapping[str, Verdict] | None = None
) -> ExitDecision:
    levels = STRICT_LEVELS if strict else GATING_LEVELS
    known = baseline or {}
    failing: list[CaseResult] = []
    tolerated: list[CaseResult] = []
    for case in report.cases:
        if case.level not in levels or case.verdict not in NOT_PASSING:
            continue
        (tolerated if known.get(case.id) == case.verdict else failing).append(case)
    changes = (
        [
            VerdictChange(c.id, known.get(c.id), c.verdict)
            for c in report.cases
            if known.get(c.id) != c.verdict
        ]
        if baseline is not None
        else []
    )
    present = {case.id for case in report.cases}
    return ExitDecision(
        status=1 if failing else 0,
        failing=tuple(failing),
        tolerated=tuple(tolerated),
        changes=tuple(changes),
        stale=tuple(sorted(set(known) - present)),
        strict=strict,
    )
