"""Compare runs: verdict flips, cases added and removed, capability, duration and meta changes.

``compare_reports`` takes two or more reports, the first being the base, and
returns a ``CompareResult``: one ``PairComparison`` of the base against each
other report (the first of them, HEAD, decides the exit status) and, with
more than two reports, a side-by-side ``ConformanceMatrix``.

The model is plain dataclasses so new kinds of difference slot in beside the
existing ones: load runs add their metric deltas (latency percentiles,
throughput, errors, delivery, integrity; ``harness.report.compare_load``) as
the ``load`` field of ``PairComparison``, computed from the reports' ``load``
sections.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from harness.report.compare_load import (
    LoadComparison,
    LoadThreshold,
    compare_load,
    load_comparability,
)
from harness.report.load_data import read_load
from harness.report.model import Capabilities, CaseResult, Report, ReportFormatError, Verdict

REPORT_FILE = "report.json"  # the report inside a run directory
STAGES = ("before_tls", "after_tls", "after_login")
PASSING = frozenset({Verdict.PASSED})
NOT_PASSING = frozenset({Verdict.FAILED, Verdict.ERROR})


class CompareInputError(ValueError):
    """A path that does not lead to a report this version can read (a usage error)."""


@dataclass(frozen=True)
class LoadedReport:
    label: str  # how the report is named in the output: its target, made unique
    source: str  # the path it was read from
    report: Report


class FlipKind(StrEnum):
    REGRESSION = "regression"  # passed -> failed or error
    FIX = "fix"  # failed or error -> passed
    CHANGE = "change"  # any other flip: failed <-> error, to or from skipped


@dataclass(frozen=True)
class VerdictFlip:
    case_id: str
    title: str
    level: str
    before: Verdict
    after: Verdict

    @property
    def kind(self) -> FlipKind:
        if self.before in PASSING and self.after in NOT_PASSING:
            return FlipKind.REGRESSION
        if self.before in NOT_PASSING and self.after in PASSING:
            return FlipKind.FIX
        return FlipKind.CHANGE


@dataclass(frozen=True)
class CapabilityChange:
    """One service's capabilities at one stage; None: that stage was not reached."""

    service: str
    stage: str
    before: tuple[str, ...] | None
    after: tuple[str, ...] | None

    @property
    def added(self) -> tuple[str, ...]:
        return tuple(c for c in self.after or () if c not in (self.before or ()))

    @property
    def removed(self) -> tuple[str, ...]:
        return tuple(c for c in self.before or () if c not in (self.after or ()))


@dataclass(frozen=True)
class DurationChange:
    case_id: str
    before_ms: float
    after_ms: float

    @property
    def delta_ms(self) -> float:
        return self.after_ms - self.before_ms

    @property
    def percent(self) -> float:
        return 100.0 * self.delta_ms / self.before_ms if self.before_ms else float("inf")


@dataclass(frozen=True)
class MetaChange:
    name: str  # dotted, as in report.json: "tool_version", "target.banners.smtp"
    before: str
    after: str


@dataclass(frozen=True)
class DurationThreshold:
    """A duration change is shown when it passes both bounds (small timings are noise)."""

    ratio: float = 1.5
    min_ms: float = 100.0

    def significant(self, before_ms: float, after_ms: float) -> bool:
        low, high = sorted((before_ms, after_ms))
        return high - low > self.min_ms and high > low * self.ratio


@dataclass
class PairComparison:
    base: str  # labels of the two reports
    head: str
    flips: list[VerdictFlip] = field(default_factory=list)
    added: list[CaseResult] = field(default_factory=list)
    removed: list[CaseResult] = field(default_factory=list)
    capabilities: list[CapabilityChange] = field(default_factory=list)
    durations: list[DurationChange] = field(default_factory=list)
    meta: list[MetaChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    load: LoadComparison | None = None  # both reports are load runs

    def of_kind(self, kind: FlipKind) -> list[VerdictFlip]:
        return [flip for flip in self.flips if flip.kind is kind]

    @property
    def regressions(self) -> list[VerdictFlip]:
        return self.of_kind(FlipKind.REGRESSION)

    @property
    def fixes(self) -> list[VerdictFlip]:
        return self.of_kind(FlipKind.FIX)

    @property
    def unchanged(self) -> bool:
        return not (self.flips or self.added or self.removed or self.capabilities)


@dataclass(frozen=True)
class MatrixRow:
    case_id: str
    title: str
    protocol: str
    verdicts: tuple[Verdict | None, ...]  # one per report; None: the report lacks the case

    @property
    def agrees(self) -> bool:
        return len(set(self.verdicts)) == 1


@dataclass
class ConformanceMatrix:
    labels: tuple[str, ...]
    rows: list[MatrixRow]

    @property
    def differing(self) -> list[MatrixRow]:
        return [row for row in self.rows if not row.agrees]

    def count(self, column: int, verdict: Verdict | None) -> int:
        return sum(row.verdicts[column] is verdict for row in self.rows)


@dataclass
class CompareResult:
    reports: list[LoadedReport]
    pairs: list[PairComparison]  # the base against each later report, in order
    matrix: ConformanceMatrix | None = None  # with more than two reports

    @property
    def head(self) -> PairComparison:
        return self.pairs[0]

    @property
    def warnings(self) -> list[str]:
        return list(dict.fromkeys(w for pair in self.pairs for w in pair.warnings))

    @property
    def load_regressed(self) -> bool:
        """HEAD's load regressions past the threshold, when asked to gate on them."""
        load = self.head.load
        return load is not None and bool(load.gating_regressions)

    @property
    def status(self) -> int:
        """1 when HEAD regressed against BASE (CI gates on this), else 0."""
        return 1 if self.head.regressions or self.load_regressed else 0


def report_path(path: Path | str) -> Path:
    """The report file for ``path``: the file itself, or a run directory's report.json."""
    given = Path(path)
    candidate = given / REPORT_FILE if given.is_dir() else given
    if not candidate.is_file():
        where = f"{given} has no {REPORT_FILE}" if given.is_dir() else f"{given} does not exist"
        raise CompareInputError(where)
    return candidate


def load_report(path: Path | str, label: str | None = None) -> LoadedReport:
    file = report_path(path)
    try:
        report = Report.from_json(file.read_text(encoding="utf-8"))
    except (ReportFormatError, UnicodeDecodeError) as error:
        raise CompareInputError(f"{file} is not a mailharness report: {error}") from None
    return LoadedReport(label or report.meta.target.name, str(path), report)


def unique_labels(reports: Sequence[LoadedReport]) -> list[LoadedReport]:
    """The same reports, labels made unique (two runs of one target are common)."""
    names = [loaded.label for loaded in reports]
    result = []
    for index, loaded in enumerate(reports):
        label = loaded.label
        if names.count(label) > 1:
            label = f"{label} #{index + 1} ({_short_source(loaded.source)})"
        result.append(LoadedReport(label, loaded.source, loaded.report))
    return result


def _short_source(source: str) -> str:
    path = Path(source)
    return path.parent.name if path.name == REPORT_FILE and path.parent.name else path.name


def compare_reports(
    reports: Sequence[LoadedReport],
    threshold: DurationThreshold | None = None,
    load_threshold: LoadThreshold | None = None,
) -> CompareResult:
    if len(reports) < 2:
        raise ValueError("compare needs at least two reports")
    loaded = unique_labels(reports)
    base = loaded[0]
    durations, load = threshold or DurationThreshold(), load_threshold or LoadThreshold()
    pairs = [compare_pair(base, other, durations, load) for other in loaded[1:]]
    matrix = conformance_matrix(loaded) if len(loaded) > 2 else None
    return CompareResult(loaded, pairs, matrix)


def compare_pair(
    base: LoadedReport,
    head: LoadedReport,
    threshold: DurationThreshold,
    load_threshold: LoadThreshold | None = None,
) -> PairComparison:
    before = {case.id: case for case in base.report.cases}
    after = {case.id: case for case in head.report.cases}
    common = [case_id for case_id in after if case_id in before]
    return PairComparison(
        base=base.label,
        head=head.label,
        flips=[
            VerdictFlip(i, after[i].title, after[i].level, before[i].verdict, after[i].verdict)
            for i in common
            if before[i].verdict is not after[i].verdict
        ],
        added=[case for case in head.report.cases if case.id not in before],
        removed=[case for case in base.report.cases if case.id not in after],
        capabilities=capability_changes(base.report, head.report),
        durations=_duration_changes(before, after, common, threshold),
        meta=meta_changes(base.report, head.report),
        warnings=comparability_warnings(base, head) + load_warnings(base, head),
        load=_load_comparison(base.report, head.report, load_threshold or LoadThreshold()),
    )


def _load_comparison(base: Report, head: Report, threshold: LoadThreshold) -> LoadComparison | None:
    old, new = read_load(base.load), read_load(head.load)
    if old is None or new is None:
        return None
    return compare_load(old, new, threshold)


def load_warnings(base: LoadedReport, head: LoadedReport) -> list[str]:
    old, new = read_load(base.report.load), read_load(head.report.load)
    return load_comparability(base.label, old, head.label, new)


def _duration_changes(
    before: dict[str, CaseResult],
    after: dict[str, CaseResult],
    common: list[str],
    threshold: DurationThreshold,
) -> list[DurationChange]:
    changes = [
        DurationChange(i, before[i].duration_ms, after[i].duration_ms)
        for i in common
        if threshold.significant(before[i].duration_ms, after[i].duration_ms)
    ]
    return sorted(changes, key=lambda change: abs(change.delta_ms), reverse=True)


def capability_changes(base: Report, head: Report) -> list[CapabilityChange]:
    before = base.meta.target.capabilities
    after = head.meta.target.capabilities
    changes = []
    for service in dict.fromkeys([*before, *after]):
        for stage in STAGES:
            old = _stage(before.get(service), stage)
            new = _stage(after.get(service), stage)
            if old != new and not (old is not None and new is not None and set(old) == set(new)):
                changes.append(CapabilityChange(service, stage, old, new))
    return changes


def _stage(capabilities: Capabilities | None, stage: str) -> tuple[str, ...] | None:
    values = getattr(capabilities, stage) if capabilities is not None else None
    return None if values is None else tuple(values)


def meta_changes(base: Report, head: Report) -> list[MetaChange]:
    old, new = _meta_fields(base), _meta_fields(head)
    return [
        MetaChange(name, old.get(name, "(none)"), new.get(name, "(none)"))
        for name in dict.fromkeys([*old, *new])
        if old.get(name) != new.get(name)
    ]


def _meta_fields(report: Report) -> dict[str, str]:
    meta = report.meta
    target = meta.target
    fields = {
        "tool_version": meta.tool_version,
        "git_commit": meta.git_commit or "unknown",
        "machine.hostname": meta.machine.hostname,
        "machine.platform": meta.machine.platform,
        "machine.python": meta.machine.python,
        "suite_paths": " ".join(meta.suite_paths),
        "duration_s": f"{meta.duration_s:.1f}",
        "target.name": target.name,
        "target.host": target.host,
        "target.ports": " ".join(f"{name}={port}" for name, port in sorted(target.ports.items())),
    }
    fields |= {f"target.banners.{service}": banner for service, banner in target.banners.items()}
    return fields


def comparability_warnings(base: LoadedReport, head: LoadedReport) -> list[str]:
    """What makes these two reports less than like for like, in words."""
    old, new = base.report.meta, head.report.meta
    names = f"{base.label} and {head.label}"
    warnings = []
    if old.tool_version != new.tool_version:
        warnings.append(
            f"{names} were written by different mailharness versions"
            f" ({old.tool_version} and {new.tool_version}): scripts and verdict rules may differ"
        )
    elif old.git_commit and new.git_commit and old.git_commit != new.git_commit:
        warnings.append(
            f"{names} come from different mailharness commits"
            f" ({old.git_commit} and {new.git_commit}): the suites may differ"
        )
    if sorted(old.suite_paths) != sorted(new.suite_paths):
        warnings.append(
            f"{names} ran different suite sets ({', '.join(old.suite_paths) or 'none'} and"
            f" {', '.join(new.suite_paths) or 'none'}): added and removed cases may come from"
            " the suites, not the server"
        )
    machine_old, machine_new = old.machine, new.machine
    if (machine_old.hostname, machine_old.platform) != (machine_new.hostname, machine_new.platform):
        warnings.append(
            f"{names} ran on different machines ({machine_old.hostname} and"
            f" {machine_new.hostname}): durations are not comparable"
        )
    return warnings


def conformance_matrix(reports: Sequence[LoadedReport]) -> ConformanceMatrix:
    by_report = [{case.id: case for case in loaded.report.cases} for loaded in reports]
    first_seen: dict[str, CaseResult] = {}
    for cases in by_report:
        for case_id, case in cases.items():
            first_seen.setdefault(case_id, case)
    rows = [
        MatrixRow(
            case_id,
            case.title,
            case.protocol,
            tuple(cases[case_id].verdict if case_id in cases else None for cases in by_report),
        )
        for case_id, case in first_seen.items()
    ]
    return ConformanceMatrix(tuple(loaded.label for loaded in reports), rows)
