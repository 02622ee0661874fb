"""A Markdown summary for CI comments (GitHub/GitLab render it as posted).

Short by design: the outcome, counts per protocol, the failing cases with
their RFC and reason, and each failure's expected/received and transcript
folded in a ``<details>`` block, clipped so a comment stays within limits.
"""

from __future__ import annotations

import re

from harness.report.model import CaseResult, Report, Verdict
from harness.report.policy import NOT_PASSING, ExitDecision
from harness.report.text import visible

DEFAULT_TRANSCRIPT_CHARS = 3000


def render_markdown(
    report: Report,
    decision: ExitDecision | None = None,
    *,
    max_failures: int = 50,
    transcript_chars: int = DEFAULT_TRANSCRIPT_CHARS,
) -> str:
    lines = _heading(report, decision)
    lines += _counts(report)
    failures = [case for case in report.cases if case.verdict in NOT_PASSING]
    if failures:
        lines += _failure_table(failures[:max_failures], len(failures))
        shown = failures[:max_failures]
        lines += [_details(c, transcript_chars) for c in shown if _has_details(c)]
    return "\n".join(lines).rstrip("\n") + "\n"


def cell(text: str) -> str:
    """Text safe inside a table cell: one line, pipes escaped."""
    return visible(re.sub(r"\s+", " ", text)).replace("|", "\\|").strip()


def fenced(text: str, info: str = "text") -> str:
    """A code block whose fence is longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip()}\n{fence}"


def _heading(report: Report, decision: ExitDecision | None) -> list[str]:
    meta = report.meta
    outcome = ""
    if decision is not None:
        outcome = " — **passed**" if decision.status == 0 else " — **failed**"
    lines = [f"### mailharness conformance: {cell(meta.target.name)}{outcome}", ""]
    counts = report.summary.by_verdict
    summary = ", ".join(f"{counts[v.value]} {v.value}" for v in Verdict)
    lines.append(f"{report.summary.total} cases: {summary}. Took {meta.duration_s:.1f}s.")
    if decision is not None:
        lines.append(f"`{decision.explain()}`")
    return [*lines, ""]


def _counts(report: Report) -> list[str]:
    header = "| protocol | " + " | ".join(v.value for v in Verdict) + " |"
    rule = "|---|" + "---:|" * len(Verdict)
    rows = [
        f"| {cell(protocol)} | " + " | ".join(str(counts[v.value]) for v in Verdict) + " |"
        for protocol, counts in report.summary.by_protocol.items()
    ]
    return [header, rule, *rows, ""]


def _failure_table(shown: list[CaseResult], total: int) -> list[str]:
    lines = ["| case | level | reference | reason |", "|---|---|---|---|"]
    lines += [f"| `{cell(c.id)}` | {c.level} | {cell(c.rfc)} | {cell(c.reason)} |" for c in shown]
    if total > len(shown):
        lines.append(f"| … {total - len(shown)} more | | | |")
    return [*lines, ""]


def _has_details(case: CaseResult) -> bool:
    return bool(case.transcript) or case.expected is not None or case.received is not None


def _details(case: CaseResult, transcript_chars: int) -> str:
    body = [f"<details><summary><code>{_html(case.id)}</code> {case.verdict.value}</summary>", ""]
    body.append(f"`{cell(case.file)}` — {cell(case.title)}")
    body.append("")
    if case.expected is not None or case.received is not None:
        body.append(fenced(visible(f"expected: {case.expected}\nreceived: {case.received}")))
        body.append("")
    if case.transcript:
        transcript = case.transcript
        if len(transcript) > transcript_chars:
            clipped = len(transcript) - transcript_chars
            transcript = transcript[:transcript_chars] + f"\n# ... {clipped} more characters"
        body.append(fenced(visible(transcript)))
        body.append("")
    body.append("</details>")
    return "\n".join(body) + "\n"


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
