"""``index.html`` for one run: summary, matrix, plots, then every case, failures first.

``render_html`` returns the page as a string, ``write_html`` writes it.
Paths in the report (pcaps, key logs) are relative to the report's folder;
``link_base`` rebases them when the page is written somewhere else.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from harness.report.html.cases import capture_links, case_blocks, tag_value
from harness.report.html.load_section import load_outcome, load_section
from harness.report.html.markup import SEVERITY, attr, duration, facts, page, table, text, worst
from harness.report.load_data import LoadFacts, read_load
from harness.report.model import LEVELS, CaseResult, Report, Verdict
from harness.report.plots import Bar, horizontal_bar_chart, stacked_bar
from harness.report.policy import ExitDecision, exit_decision

SLOWEST = 15  # bars in the duration chart
POLICY = (
    "A MUST or MUST NOT case that failed or errored fails the run (with --strict, SHOULD and"
    " SHOULD NOT too), unless a baseline lists it with that verdict. Skipped cases never fail it."
)


def render_html(
    report: Report, decision: ExitDecision | None = None, *, link_base: str = ""
) -> str:
    """The page; ``decision`` is the run's exit decision (the default policy when None)."""
    decision = decision or exit_decision(report)
    meta = report.meta
    load = read_load(report.load)
    body = [
        _summary(report, decision),
        load_section(load, link_base) if load is not None else "",
        _matrix_section(report),
        _plots_section(report),
        _cases_section(report, link_base) if report.cases or load is None else "",
    ]
    # a load run that failed its SLO gates fails the page as it failed the run
    passed = decision.status == 0 and (load is None or load.passed)
    title = f"mailharness: {meta.target.name}: {'passed' if passed else 'failed'}"
    outcome = "passed" if passed else "failed"
    return page(title, _header(report, decision, load), "\n".join(body), outcome=outcome)


def write_html(
    report: Report, path: Path | str, decision: ExitDecision | None = None, *, link_base: str = ""
) -> None:
    # A transcript read from JSON may hold lone surrogates; never fail a run on them.
    html = render_html(report, decision, link_base=link_base)
    Path(path).write_text(html, encoding="utf-8", errors="replace")


def _header(report: Report, decision: ExitDecision, load: LoadFacts | None) -> str:
    meta = report.meta
    word = "passed" if decision.status == 0 and (load is None or load.passed) else "failed"
    kind = "load" if load is not None and not report.cases else "conformance"
    explained = decision.explain() if report.cases or load is None else ""
    if load is not None:
        explained += f"{'; ' if explained else ''}load {load_outcome(load)}"
    return (
        f"<h1>mailharness {kind}: {text(meta.target.name)}</h1>"
        f'<p class="outcome"><strong>{word.upper()}</strong> '
        f"{text(explained)}</p>"
        f'<p class="muted">{text(meta.target.host)} · {report.summary.total} cases · '
        f"{meta.duration_s:.1f} s · {text(meta.started.isoformat(timespec='seconds'))}</p>"
    )


def _summary(report: Report, decision: ExitDecision) -> str:
    counts = report.summary.by_verdict
    cards = "".join(
        f'<div class="card v-{v.value}"><span class="n">{counts[v.value]}</span>{v.value}</div>'
        for v in Verdict
    )
    total = f'<div class="card"><span class="n">{report.summary.total}</span>cases</div>'
    # a load run has no cases: no verdict cards to show for it
    shown = f'<div class="cards">{cards}{total}</div>' if report.cases or not report.load else ""
    return (
        '<section aria-labelledby="summary"><h2 id="summary">Summary</h2>'
        f"{shown}"
        f"{facts(_run_facts(report, decision))}"
        f"{_target_details(report)}</section>"
    )


def _run_facts(report: Report, decision: ExitDecision) -> list[tuple[str, str]]:
    meta = report.meta
    machine = meta.machine
    ports = ", ".join(f"{name} {port}" for name, port in meta.target.ports.items())
    return [
        ("target", f"{text(meta.target.name)} at {text(meta.target.host)} ({text(ports)})"),
        ("tool", f"mailharness {text(meta.tool_version)}"),
        ("git commit", f"<code>{text(meta.git_commit or 'unknown')}</code>"),
        ("started", text(meta.started.isoformat(timespec="seconds"))),
        ("duration", text(f"{meta.duration_s:.1f} s")),
        ("machine", text(f"{machine.hostname} · {machine.platform} · Python {machine.python}")),
        ("suites", text(", ".join(meta.suite_paths) or "none recorded")),
        ("command", f"<code>{text(' '.join(meta.command_line))}</code>"),
        _exit_fact(report, decision),
        ("capture", text(_capture_summary(report))),
    ]


def _exit_fact(report: Report, decision: ExitDecision) -> tuple[str, str]:
    load = read_load(report.load)
    if load is not None and not report.cases:
        return ("exit status", text(f"load {load_outcome(load)} (SLO gates set the exit status)"))
    explained = f"{text(decision.explain())}<br><span class='muted'>{text(POLICY)}</span>"
    if load is not None:
        explained += f"<br>{text(f'load {load_outcome(load)}')}"
    return ("exit status", explained)


def _capture_summary(report: Report) -> str:
    cases, capture = report.cases, report.meta.capture
    if not cases and capture is not None and capture.backend is not None:
        return f"run: {capture.describe()}"  # a load run: one pcap for the run
    captured = [case for case in cases if case.pcap]
    if not captured:
        why = f": {capture.reason}" if capture is not None and capture.backend is None else ""
        return f"no packet capture in this run{why}"
    complete = sum(case.capture_complete is True for case in captured)
    incomplete = sum(case.capture_complete is False for case in captured)
    unknown = len(captured) - complete - incomplete
    keylogs = sum(bool(case.keylog) for case in captured)
    parts = [f"{len(captured)} of {len(cases)} cases have a packet trace"]
    parts.append(f"{complete} complete, {incomplete} incomplete (packets lost)")
    if unknown:
        parts.append(f"{unknown} not checked")
    parts.append(f"{keylogs} with a TLS key log")
    if capture is not None and capture.backend is not None:
        parts.append(f"run: {capture.describe()}")  # the run's measured loss
    return "; ".join(parts)


def _target_details(report: Report) -> str:
    target = report.meta.target
    if not target.banners and not target.capabilities:
        return ""
    rows = []
    for service in dict.fromkeys([*target.banners, *target.capabilities]):
        stages = target.capabilities.get(service)
        stage_cells = [
            _capability_cell(getattr(stages, stage) if stages else None)
            for stage in ("before_tls", "after_tls", "after_login")
        ]
        banner = f"<td><code>{text(target.banners.get(service, ''))}</code></td>"
        rows.append([f"<th scope='row'>{text(service)}</th>", banner, *stage_cells])
    headers = ["service", "banner", "before TLS", "after TLS", "after login"]
    return (
        "<details><summary>Banners and capabilities the target advertised</summary>"
        f"{table(headers, rows)}</details>"
    )


def _capability_cell(capabilities: list[str] | None) -> str:
    if capabilities is None:
        return '<td class="muted">not reached</td>'
    return f"<td><code>{text(' '.join(capabilities) or '(none)')}</code></td>"


def _matrix_section(report: Report) -> str:
    if not report.cases:
        return ""
    levels = [lv for lv in LEVELS if any(c.level == lv for c in report.cases)]
    levels += sorted({c.level for c in report.cases} - set(LEVELS))
    rows = []
    for protocol in report.summary.by_protocol:
        of_protocol = [c for c in report.cases if c.protocol == protocol]
        areas = list(dict.fromkeys(c.area for c in of_protocol))
        for index, area in enumerate(areas):
            group = [c for c in of_protocol if c.area == area]
            cells = [_matrix_cell(protocol, area, level, group) for level in levels]
            cells.append(_matrix_cell(protocol, area, None, group))
            # The protocol heads its group of rows once, spanning all its areas.
            head = [f"<th scope='rowgroup' rowspan='{len(areas)}'>{text(protocol)}</th>"]
            rows.append([*(head if index == 0 else []), f"<td>{text(area)}</td>", *cells])
    return (
        '<section aria-labelledby="matrix"><h2 id="matrix">Protocol × area × level</h2>'
        '<p class="muted">Passed of total per cell, coloured by the worst verdict in it;'
        " select a cell to list its cases.</p>"
        f"{table(['protocol', 'area', *levels, 'all levels'], rows, css_class='matrix')}</section>"
    )


def _matrix_cell(protocol: str, area: str, level: str | None, group: list[CaseResult]) -> str:
    cases = [c for c in group if level is None or c.level == level]
    if not cases:
        return '<td class="cell-none">·</td>'
    counts = Counter(c.verdict.value for c in cases)
    colour = worst(dict(counts))
    others = [f"{counts[v.value]} {v.value}" for v in SEVERITY[:3] if counts[v.value]]
    label = f"{counts[Verdict.PASSED.value]}/{len(cases)}"
    detail = f"<br><small>{text(', '.join(others))}</small>" if others else ""
    query = f"protocol:{tag_value(protocol)} area:{tag_value(area)}"
    if level is not None:
        query += f" level:{tag_value(level)}"
    title = f"{label} passed" + (f"; {', '.join(others)}" if others else "")
    return (
        f'<td class="num cell-{colour.value if colour else "none"}">'
        f'<a href="#cases" data-filter="{attr(query)}" title="{attr(title)}">{label}{detail}</a></td>'
    )


def _plots_section(report: Report) -> str:
    if not report.cases:
        return ""
    counts = report.summary.by_verdict
    verdict_bars = [Bar(v.value, counts[v.value], f"bar-{v.value}") for v in SEVERITY[::-1]]
    slowest = sorted(report.cases, key=lambda c: c.duration_ms, reverse=True)[:SLOWEST]
    duration_bars = [
        Bar(c.id, c.duration_ms, f"bar-{c.verdict.value}", f"{c.id} ({c.verdict.value})")
        for c in slowest
    ]
    total_ms = sum(c.duration_ms for c in report.cases)
    return (
        '<section aria-labelledby="plots"><h2 id="plots">Plots</h2>'
        "<h3>Verdicts</h3>"
        f"{stacked_bar(verdict_bars, title='verdict counts')}"
        f"<h3>Slowest {len(slowest)} cases</h3>"
        f'<p class="muted">All cases together took {duration(total_ms)}; bars take the colour'
        " of the case's verdict.</p>"
        f"{horizontal_bar_chart(duration_bars, title='duration per case, slowest first', unit='ms')}"
        "</section>"
    )


def _cases_section(report: Report, link_base: str) -> str:
    toggles = "".join(
        f'<label><input type="checkbox" value="{v.value}" checked> {v.value}</label>'
        for v in SEVERITY
    )
    failing = sum(c.verdict in (Verdict.FAILED, Verdict.ERROR) for c in report.cases)
    captured = [c for c in report.cases if capture_links(c, link_base)]
    return (
        '<section aria-labelledby="cases"><h2 id="cases">Cases</h2>'
        f'<p class="muted">{failing} failed or errored first, then skipped, then passed;'
        f" {len(captured)} with capture files. Select a case for its evidence.</p>"
        '<form class="filter" id="filter" role="search" hidden onsubmit="return false">'
        '<label for="filter-box">Filter</label>'
        '<input type="search" id="filter-box" placeholder="words, or protocol:smtp level:must">'
        f'{toggles}<span id="filter-count" class="muted" aria-live="polite"></span></form>'
        f"{case_blocks(report.cases, link_base)}</section>"
    )
