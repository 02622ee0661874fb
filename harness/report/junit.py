"""JUnit XML for CI systems: one testsuite per protocol, one testcase per case.

The shape is the common denominator that Jenkins, GitLab and GitHub
reporters read: ``<failure>``, ``<error>`` and ``<skipped>`` with a
``message``, the transcript in ``<system-out>``, RFC and level as properties.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from harness.report.model import CaseResult, Report, Verdict
from harness.report.text import xml_safe

PROTOCOL_ORDER = ("smtp", "pop3", "imap", "e2e")


def render_junit(report: Report) -> str:
    root = ET.Element("testsuites", name="mailharness")
    _set_counts(root, report.cases, report.meta.duration_s)
    for protocol in _protocols(report):
        cases = [case for case in report.cases if case.protocol == protocol]
        root.append(_testsuite(report, protocol, cases))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(report: Report, path: Path | str) -> None:
    Path(path).write_text(render_junit(report), encoding="utf-8")


def _protocols(report: Report) -> list[str]:
    present = list(dict.fromkeys(case.protocol for case in report.cases))
    return sorted(
        present, key=lambda p: (PROTOCOL_ORDER.index(p) if p in PROTOCOL_ORDER else 99, p)
    )


def _set_counts(element: ET.Element, cases: list[CaseResult], seconds: float) -> None:
    def count(verdict: Verdict) -> str:
        return str(sum(1 for case in cases if case.verdict is verdict))

    element.set("tests", str(len(cases)))
    element.set("failures", count(Verdict.FAILED))
    element.set("errors", count(Verdict.ERROR))
    element.set("skipped", count(Verdict.SKIPPED))
    element.set("time", f"{seconds:.3f}")


def _testsuite(report: Report, protocol: str, cases: list[CaseResult]) -> ET.Element:
    suite = ET.Element("testsuite", name=protocol)
    _set_counts(suite, cases, sum(case.duration_ms for case in cases) / 1000)
    suite.set("timestamp", report.meta.started.isoformat())
    suite.set("hostname", xml_safe(report.meta.machine.hostname))
    properties = ET.SubElement(suite, "properties")
    target = report.meta.target
    for name, value in (
        ("target", target.name),
        ("host", target.host),
        ("tool", report.meta.tool_version),
    ):
        ET.SubElement(properties, "property", name=name, value=xml_safe(value))
    for case in cases:
        suite.append(_testcase(case))
    return suite


def _testcase(case: CaseResult) -> ET.Element:
    element = ET.Element(
        "testcase",
        classname=xml_safe(f"{case.protocol}.{case.area}"),
        name=xml_safe(f"{case.id}: {case.title}"),
        file=xml_safe(case.file),
        time=f"{case.duration_ms / 1000:.3f}",
    )
    properties = ET.SubElement(element, "properties")
    for name, value in (("rfc", case.rfc), ("level", case.level)):
        ET.SubElement(properties, "property", name=name, value=xml_safe(value))
    outcome = _outcome(case)
    if outcome is not None:
        element.append(outcome)
    if case.transcript:
        ET.SubElement(element, "system-out").text = xml_safe(case.transcript)
    return element


def _outcome(case: CaseResult) -> ET.Element | None:
    if case.verdict is Verdict.PASSED:
        return None
    if case.verdict is Verdict.SKIPPED:
        return ET.Element("skipped", message=xml_safe(case.reason))
    tag = "failure" if case.verdict is Verdict.FAILED else "error"
    element = ET.Element(tag, message=xml_safe(f"[{case.level}] {case.reason}"), type=case.level)
    details = [case.reason]
    if case.expected is not None:
        details.append(f"expected: {case.expected}")
    if case.received is not None:
        details.append(f"received: {case.received}")
    element.text = xml_safe("\n".join(details))
    return element
