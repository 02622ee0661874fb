"""One collapsible block per case: failures first, with the evidence that proves them.

A failed case shows its reason, expected versus received side by side, the
packet trace and key log links, and the transcript folded underneath. The
first failures are open when the page loads; passed cases start closed.
"""

from __future__ import annotations

from harness.report.html.markup import SEVERITY, attr, badge, duration, facts, href, text
from harness.report.model import CaseResult, Verdict

OPEN_FAILURES = 20  # more than this many open blocks bury the page
TRANSCRIPT_CHARS = 100_000  # per case; report.json keeps the whole transcript
_CLIENT_PREFIXES = ("C:", "C-:", "write:")
_SERVER_PREFIXES = ("S:", "S-:")


def in_severity_order(cases: list[CaseResult]) -> list[CaseResult]:
    """Failed, then error, skipped, passed; run order kept within each verdict."""
    rank = {verdict: index for index, verdict in enumerate(SEVERITY)}
    return sorted(cases, key=lambda case: rank[case.verdict])


def case_blocks(cases: list[CaseResult], link_base: str = "") -> str:
    blocks = []
    opened = 0
    for index, case in enumerate(in_severity_order(cases)):
        failing = case.verdict in (Verdict.FAILED, Verdict.ERROR)
        is_open = failing and opened < OPEN_FAILURES
        opened += is_open
        blocks.append(case_block(case, index, link_base, is_open=is_open))
    return "\n".join(blocks)


def case_block(case: CaseResult, index: int, link_base: str = "", *, is_open: bool = False) -> str:
    verdict = case.verdict.value
    return (
        f'<details class="case v-{verdict}" id="case-{index}" data-case'
        f' data-verdict="{verdict}" data-text="{attr(_search_text(case))}"'
        f' data-tags="{attr(" ".join(case_tags(case)))}"{" open" if is_open else ""}>'
        f"{_summary(case)}"
        f'<div class="case-body">{_body(case, link_base)}</div></details>'
    )


def case_tags(case: CaseResult) -> list[str]:
    """The filter box's ``key:value`` words for ``case`` (lower case, no spaces)."""
    values = {
        "protocol": case.protocol,
        "area": case.area,
        "level": case.level,
        "verdict": case.verdict.value,
    }
    return [f"{key}:{tag_value(value)}" for key, value in values.items()]


def tag_value(value: str) -> str:
    return "-".join(value.lower().split())


def _search_text(case: CaseResult) -> str:
    return " ".join((case.id, case.title, case.rfc, case.file, case.reason)).lower()


def _summary(case: CaseResult) -> str:
    return (
        f"<summary>{badge(case.verdict)}"
        f'<span class="level">{text(case.level)}</span>'
        f'<code class="case-id">{text(case.id)}</code>'
        f'<span class="case-title">{text(case.title)}</span>'
        f'<span class="where">{text(case.protocol)} / {text(case.area)}</span>'
        f'<span class="duration">{duration(case.duration_ms)}</span></summary>'
    )


def _body(case: CaseResult, link_base: str) -> str:
    parts = []
    if case.reason:
        parts.append(f'<p class="reason">{text(case.reason)}</p>')
    parts.append(facts(_case_facts(case, link_base)))
    if case.expected is not None or case.received is not None:
        parts.append(_expected_received(case))
    if case.transcript:
        parts.append(transcript_block(case.transcript))
    return "".join(parts)


def _case_facts(case: CaseResult, link_base: str) -> list[tuple[str, str]]:
    rows = [
        ("reference", text(case.rfc)),
        ("script", f"<code>{text(case.file)}</code>"),
    ]
    capture = capture_links(case, link_base)
    if capture:
        rows.append(("capture", capture))
    return rows


def capture_links(case: CaseResult, link_base: str = "") -> str:
    """Links to the case's pcap and key log, and whether the trace is complete."""
    parts = []
    if case.pcap:
        parts.append(f'<a href="{href(case.pcap, link_base)}">packet trace (pcap)</a>')
    if case.keylog:
        parts.append(f'<a href="{href(case.keylog, link_base)}">TLS key log</a>')
    if case.capture_complete is True:
        parts.append('<span class="capture-complete">complete</span>')
    elif case.capture_complete is False:
        parts.append('<span class="capture-incomplete">incomplete: packets were lost</span>')
    return " · ".join(parts)


def _expected_received(case: CaseResult) -> str:
    expected = "" if case.expected is None else case.expected
    received = "" if case.received is None else case.received
    return (
        '<div class="diff">'
        f'<div class="expected"><h3>expected</h3><pre>{text(expected)}</pre></div>'
        f'<div class="received"><h3>received</h3><pre>{text(received)}</pre></div>'
        "</div>"
    )


def transcript_block(transcript: str, limit: int = TRANSCRIPT_CHARS) -> str:
    """The transcript, folded, client and server lines told apart by colour and prefix."""
    shown = transcript[:limit]
    lines = shown.splitlines()
    rendered = "\n".join(_transcript_line(line) for line in lines)
    if len(transcript) > limit:
        clipped = len(transcript) - limit
        rendered += (
            f'\n<span class="t-note"># … {clipped:,} more characters: '
            "the whole transcript is in report.json</span>"
        )
    noun = "line" if len(transcript.splitlines()) == 1 else "lines"
    return (
        f'<details class="transcript"><summary>transcript '
        f"({len(transcript.splitlines()):,} {noun})</summary>"
        f'<pre class="transcript-text">{rendered}</pre></details>'
    )


def _transcript_line(line: str) -> str:
    bare = line.split("] ", 1)[1] if line.startswith("[") and "] " in line else line
    if bare.startswith(_CLIENT_PREFIXES):
        css = "t-c"
    elif bare.startswith(_SERVER_PREFIXES):
        css = "t-s"
    elif bare.startswith("#"):
        css = "t-note"
    else:
        return text(line)
    return f'<span class="{css}">{text(line)}</span>'
