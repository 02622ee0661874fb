"""The report of one run: a versioned model and its JSON form.

reports/README.md documents every field. The JSON is the contract between a
run and everything after it (renderers, ``compare``, CI): it is written once
and only read afterwards. ``schema_version`` changes when a field changes
meaning or disappears; new optional fields may appear within a version, and
readers ignore keys they do not know.
"""

from __future__ import annotations

import json
import platform
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
LEVELS = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY")


class ReportFormatError(ValueError):
    """A JSON document that is not a report this version can read."""


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"  # the server did not do what the script requires
    SKIPPED = "skipped"  # the case does not apply to this target (reason says why)
    ERROR = "error"  # the harness could not judge: connect failed, script error, crash


@dataclass
class Machine:
    hostname: str
    platform: str
    python: str

    @classmethod
    def current(cls) -> Machine:
        return cls(platform.node(), platform.platform(), sys.version.split()[0])


@dataclass
class Capabilities:
    """What one service advertised at each stage (None: that stage was not reached)."""

    before_tls: list[str] | None = None
    after_tls: list[str] | None = None
    after_login: list[str] | None = None


@dataclass
class TargetInfo:
    name: str
    host: str
    ports: dict[str, int] = field(default_factory=dict)
    banners: dict[str, str] = field(default_factory=dict)
    capabilities: dict[str, Capabilities] = field(default_factory=dict)


@dataclass
class CaptureInfo:
    """How the run's packets were captured, and how much of what was recorded the capture lacks.

    ``backend`` None: no capture (``reason`` says why). The octet counts
    compare every connection the harness recorded with its reassembled TCP
    stream (``harness.capture.completeness``): ``loss`` is missing / expected.
    """

    mode: str  # the --capture asked for: auto, scapy, tcpdump, off
    backend: str | None
    reason: str
    pcap: str | None = None  # the run-wide capture, relative to the report's folder
    packets: int | None = None
    kernel_drops: int | None = None  # None: the backend cannot tell
    connections: int = 0
    complete_connections: int = 0
    expected_octets: int = 0
    missing_octets: int = 0

    @property
    def loss(self) -> float:
        return self.missing_octets / self.expected_octets if self.expected_octets else 0.0

    def describe(self) -> str:
        if self.backend is None:
            return f"no capture: {self.reason}"
        return (
            f"{self.backend}: {self.complete_connections}/{self.connections} connections complete, "
            f"{self.missing_octets:,} of {self.expected_octets:,} octets missing "
            f"({self.loss:.2%} loss)"
        )


@dataclass
class Meta:
    tool_version: str
    started: datetime
    finished: datetime
    machine: Machine
    target: TargetInfo
    git_commit: str | None = None
    suite_paths: list[str] = field(default_factory=list)
    command_line: list[str] = field(default_factory=list)
    capture: CaptureInfo | None = None  # None: the run was not asked to capture

    @property
    def duration_s(self) -> float:
        return round((self.finished - self.started).total_seconds(), 3)


@dataclass
class CaseResult:
    id: str
    file: str
    title: str
    protocol: str
    area: str
    rfc: str
    level: str
    verdict: Verdict
    reason: str = ""
    duration_ms: float = 0.0
    transcript: str = ""
    expected: str | None = None
    received: str | None = None
    pcap: str | None = None
    keylog: str | None = None
    capture_complete: bool | None = None


@dataclass
class Summary:
    """Counts derived from the cases; never stored independently of them."""

    total: int
    by_verdict: dict[str, int]
    by_level: dict[str, dict[str, int]]
    by_protocol: dict[str, dict[str, int]]

    @classmethod
    def of(cls, cases: list[CaseResult]) -> Summary:
        return cls(
            total=len(cases),
            by_verdict=_count(cases),
            by_level={
                level: _count([c for c in cases if c.level == level]) for level in _levels(cases)
            },
            by_protocol={
                p: _count([c for c in cases if c.protocol == p]) for p in _protocols(cases)
            },
        )


def _count(cases: list[CaseResult]) -> dict[str, int]:
    counts = Counter(case.verdict for case in cases)
    return {verdict.value: counts.get(verdict, 0) for verdict in Verdict}


def _levels(cases: list[CaseResult]) -> list[str]:
    present = {case.level for case in cases}
    return [level for level in LEVELS if level in present] + sorted(present - set(LEVELS))


def _protocols(cases: list[CaseResult]) -> list[str]:
    return list(dict.fromkeys(case.protocol for case in cases))


@dataclass
class Report:
    meta: Meta
    cases: list[CaseResult] = field(default_factory=list)
    # Reserved for load runs (see reports/README.md); renderers ignore it.
    load: dict[str, Any] | None = None
    schema_version: int = SCHEMA_VERSION

    @property
    def summary(self) -> Summary:
        return Summary.of(self.cases)

    def to_dict(self) -> dict[str, Any]:
        meta = asdict(self.meta)
        meta["started"] = self.meta.started.isoformat()
        meta["finished"] = self.meta.finished.isoformat()
        meta["duration_s"] = self.meta.duration_s
        if self.meta.capture is not None:
            meta["capture"]["loss"] = round(self.meta.capture.loss, 6)
        document: dict[str, Any] = {
            "schema_version": self.schema_version,
            "meta": meta,
            "summary": asdict(self.summary),
            "cases": [_case_dict(case) for case in self.cases],
        }
        if self.load is not None:
            document["load"] = self.load
        return document

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, document: Any) -> Report:
        return _ReportReader().report(document)

    @classmethod
    def from_json(cls, text: str) -> Report:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise ReportFormatError(f"not JSON: {error}") from None
        return cls.from_dict(document)


def _case_dict(case: CaseResult) -> dict[str, Any]:
    data = asdict(case)
    data["verdict"] = case.verdict.value
    return data


def write_report(report: Report, path: Path | str) -> None:
    Path(path).write_text(report.to_json(), encoding="utf-8")


def read_report(path: Path | str) -> Report:
    return Report.from_json(Path(path).read_text(encoding="utf-8"))


class _ReportReader:
    """from_dict, with messages that say which field is wrong."""

    def report(self, document: Any) -> Report:
        document = self.mapping(document, "the report")
        version = document.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ReportFormatError(
                f"schema_version {version!r} is not supported (this reader knows {SCHEMA_VERSION})"
            )
        cases = document.get("cases", [])
        if not isinstance(cases, list):
            raise ReportFormatError("'cases' must be a list")
        load = document.get("load")
        return Report(
            meta=self.meta(self.mapping(document.get("meta"), "meta")),
            cases=[self.case(self.mapping(c, f"cases[{i}]"), i) for i, c in enumerate(cases)],
            load=self.mapping(load, "load") if load is not None else None,
        )

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise ReportFormatError(f"{where} must be an object")
        return value

    def required(self, data: dict[str, Any], key: str, where: str) -> Any:
        if key not in data:
            raise ReportFormatError(f"{where} lacks '{key}'")
        return data[key]

    def meta(self, data: dict[str, Any]) -> Meta:
        target = self.mapping(self.required(data, "target", "meta"), "meta.target")
        machine = self.mapping(self.required(data, "machine", "meta"), "meta.machine")
        return Meta(
            tool_version=self.required(data, "tool_version", "meta"),
            started=self.time(data, "started"),
            finished=self.time(data, "finished"),
            machine=Machine(**{k: machine.get(k, "") for k in ("hostname", "platform", "python")}),
            target=self.target(target),
            git_commit=data.get("git_commit"),
            suite_paths=list(data.get("suite_paths", [])),
            command_line=list(data.get("command_line", [])),
            capture=self.capture(data.get("capture")),
        )

    def capture(self, value: Any) -> CaptureInfo | None:
        if value is None:
            return None
        data = self.mapping(value, "meta.capture")
        known = CaptureInfo.__dataclass_fields__.keys()
        for key in ("mode", "backend", "reason"):
            self.required(data, key, "meta.capture")
        return CaptureInfo(**{key: data[key] for key in known if key in data})

    def time(self, data: dict[str, Any], key: str) -> datetime:
        value = self.required(data, key, "meta")
        try:
            return datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise ReportFormatError(f"meta.{key} is not an ISO 8601 time: {value!r}") from None

    def target(self, data: dict[str, Any]) -> TargetInfo:
        capabilities = {
            service: Capabilities(
                **{k: stages.get(k) for k in ("before_tls", "after_tls", "after_login")}
            )
            for service, stages in data.get("capabilities", {}).items()
        }
        return TargetInfo(
            name=self.required(data, "name", "meta.target"),
            host=self.required(data, "host", "meta.target"),
            ports=dict(data.get("ports", {})),
            banners=dict(data.get("banners", {})),
            capabilities=capabilities,
        )

    def case(self, data: dict[str, Any], index: int) -> CaseResult:
        where = f"cases[{index}]"
        verdict = self.required(data, "verdict", where)
        try:
            parsed = Verdict(verdict)
        except ValueError:
            raise ReportFormatError(f"{where}.verdict {verdict!r} is not a verdict") from None
        known = CaseResult.__dataclass_fields__.keys() - {"verdict"}
        values = {key: data[key] for key in known if key in data}
        for key in ("id", "file", "title", "protocol", "area", "rfc", "level"):
            self.required(data, key, where)
        return CaseResult(verdict=parsed, **values)
