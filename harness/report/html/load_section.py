"""The load section of ``index.html``: what a load run measured and whether it held.

In order: the verdict (and, loudly, any message lost, duplicated or
corrupted), the run's facts, the integrity counts, the SLO gates with their
verdicts, latency percentiles per command, throughput and p95 latency over
time (inline SVG line charts), errors by reply code, delivery latency, and
when present the capacity search and the packet capture.

Everything comes from the report's ``load`` section (``harness.report.load_data``);
every value that came from a run is escaped (``markup.text``).
"""

from __future__ import annotations

from harness.report.html.load_section_parts import (
    capacity_block,
    capture_block,
    latency_chart,
    throughput_chart,
)
from harness.report.html.markup import badge, facts, table, text
from harness.report.load_data import PERCENTILES, LoadFacts
from harness.report.model import Verdict

ALARMING = ("lost", "duplicated", "corrupted")
LISTED_IDS = 10


def load_section(load: LoadFacts, link_base: str = "") -> str:
    """The section; ``link_base`` rebases the capture's links as in the rest of the page."""
    parts = [
        '<section aria-labelledby="load"><h2 id="load">Load</h2>',
        _verdict(load),
        _alarm(load),
        facts(_run_facts(load)),
        _integrity(load),
        _slo_table(load),
        _latency_table(load),
        throughput_chart(load),
        latency_chart(load),
        _errors_table(load),
        _delivery_latency(load),
        capacity_block(load),
        capture_block(load, link_base),
        _warnings(load),
        "</section>",
    ]
    return "".join(parts)


def load_outcome(load: LoadFacts) -> str:
    """One sentence: passed, failed (which gates) or incomplete."""
    if not load.complete:
        return "incomplete: the run was stopped before its stages ended"
    if load.passed:
        return "passed: every SLO gate held"
    failed = [str(gate.get("gate", "?")) for gate in load.slo if not gate.get("passed")]
    return "failed: " + (", ".join(failed) or "a gate failed")


def _verdict(load: LoadFacts) -> str:
    verdict = Verdict.PASSED if load.passed else Verdict.FAILED
    return (
        f"<p>{badge(verdict)} profile <strong>{text(load.profile)}</strong> against"
        f" <strong>{text(load.target)}</strong>: {text(load_outcome(load))}</p>"
    )


def _alarm(load: LoadFacts) -> str:
    """Lost, duplicated or corrupted messages are the worst a load run can show: say so first."""
    counts = [(name, load.integrity(name)) for name in ALARMING if load.integrity(name)]
    if not counts:
        return ""
    words = ", ".join(f"{count} {name.upper()}" for name, count in counts)
    return (
        '<p class="load-alarm" role="alert" style="color:var(--failed);font-size:20px;'
        f'font-weight:700;border:2px solid var(--failed);padding:8px 12px;border-radius:6px">'
        f"Messages went wrong under load: {text(words)}</p>"
    )


def _run_facts(load: LoadFacts) -> list[tuple[str, str]]:
    loop = "open loop (arrival rate)" if load.open_loop else "closed loop (users and think times)"
    late = f"; {load.late_starts} arrivals started late" if load.open_loop else ""
    return [
        ("load phase", text(f"{load.duration_s:.1f} s, {loop}")),
        ("users", text(f"peak {load.peak_users} in {load.processes} process(es)")),
        (
            "requests",
            text(f"{load.requests:,} ({load.requests_per_s:.1f}/s), {load.failures:,} failed"),
        ),
        ("error rate", text(f"{load.error_rate:.2%}")),
        ("messages", text(f"{load.messages_per_s:.1f} acknowledged per second{late}")),
    ]


def _integrity(load: LoadFacts) -> str:
    if not load.delivery_checked:
        return (
            "<h3>Integrity</h3><p class='muted'>Delivery was not checked (the profile says"
            " check_delivery = false: a target that keeps nothing).</p>"
        )
    cards = []
    for name in ("sent", "acknowledged", "delivered", *ALARMING):
        value = load.integrity(name)
        tone = ""
        if name in ALARMING:
            tone = " v-failed" if value else " v-passed"
        cards.append(f'<div class="card{tone}"><span class="n">{value:,}</span>{name}</div>')
    settled = "yes" if load.delivery.get("settled") else "no"
    note = (
        f"Counted per message and recipient. Refused: {load.integrity('refused')}; unexpected:"
        f" {load.integrity('unexpected')}; everything acknowledged accounted for within the"
        f" {load.delivery.get('grace_s', '?')} s grace: {settled}."
    )
    return (
        f'<h3>Integrity</h3><div class="cards">{"".join(cards)}</div>'
        f'<p class="muted">{text(note)}</p>{_ids(load)}'
    )


def _ids(load: LoadFacts) -> str:
    items = []
    for name in ALARMING:
        for message in (load.delivery.get(f"{name}_ids") or [])[:LISTED_IDS]:
            items.append(f"<li><strong>{text(name)}</strong> <code>{text(message)}</code></li>")
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _slo_table(load: LoadFacts) -> str:
    if not load.slo:
        return "<h3>SLO gates</h3><p class='muted'>The profile sets no gates.</p>"
    rows = []
    for gate in load.slo:
        unit = str(gate.get("unit", ""))
        actual = gate.get("actual")
        shown = "no data (fails)" if actual is None else _quantity(float(actual), unit)
        verdict = Verdict.PASSED if gate.get("passed") else Verdict.FAILED
        rows.append(
            [
                f"<td>{text(gate.get('gate', '?'))}</td>",
                f"<td class='num'>{text(_quantity(float(gate.get('limit', 0)), unit))}</td>",
                f"<td class='num'>{text(shown)}</td>",
                f"<td>{badge(verdict)}</td>",
            ]
        )
    return f"<h3>SLO gates</h3>{table(['gate', 'limit', 'actual', 'verdict'], rows)}"


def _quantity(value: float, unit: str) -> str:
    if unit == "ratio":
        return f"{value:.2%}"
    if unit == "count":
        return f"{value:g}"
    return f"{value:g} {unit}"


def _latency_table(load: LoadFacts) -> str:
    if not load.commands:
        return ""
    rows = []
    for row in load.commands:
        failed = (
            f"<td class='num cell-failed'>{row.failures:,}</td>"
            if row.failures
            else "<td class='num'>0</td>"
        )
        cells = [f"<td class='num'>{_ms(row.ms[point])}</td>" for point in PERCENTILES]
        rows.append(
            [f"<td>{text(row.name)}</td>", f"<td class='num'>{row.requests:,}</td>", failed, *cells]
        )
    headers = ["command", "requests", "failed", *PERCENTILES]
    return (
        "<h3>Latency per command (ms)</h3>"
        "<p class='muted'>From HDR histograms (3 significant digits); DATA end includes the"
        " transfer of the message.</p>"
        f"{table(headers, rows)}"
    )


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _errors_table(load: LoadFacts) -> str:
    rows = [
        [
            f"<td>{text(row.name)}</td>",
            f"<td><code>{text(code)}</code></td>",
            f"<td class='num'>{count:,}</td>",
        ]
        for row in load.commands
        for code, count in sorted(row.errors.items(), key=lambda item: -item[1])
    ]
    if not rows:
        return "<h3>Errors by reply code</h3><p class='muted'>No command failed.</p>"
    return f"<h3>Errors by reply code</h3>{table(['command', 'reply code', 'count'], rows)}"


def _delivery_latency(load: LoadFacts) -> str:
    if not load.delivery_checked:
        return ""
    cells = []
    for point in PERCENTILES:
        value = load.delivery_latency(point)
        cells.append(f"<td class='num'>{'–' if value is None else f'{value:.2f}'}</td>")
    seen, after = load.integrity("seen_by_readers"), load.integrity("found_after_load")
    note = (
        f"From the 250 at the end of DATA to the first reader (IMAP IDLE or POP3 poll) that saw"
        f" the message: {seen:,} timed by readers; {after:,} found by the sweep after the load"
        " (delivered, not timed)."
    )
    return (
        f"<h3>Delivery latency (s)</h3><p class='muted'>{text(note)}</p>"
        f"{table(list(PERCENTILES), [cells])}"
    )


def _warnings(load: LoadFacts) -> str:
    if not load.warnings:
        return ""
    items = "".join(f"<li>{text(w)}</li>" for w in load.warnings)
    return f'<h3>Warnings</h3><ul class="warnings" role="note">{items}</ul>'
