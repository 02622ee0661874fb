"""Pieces of the load section: the charts over time, the capacity search, the capture.

The timeline has one point per second in which something completed; seconds
without any are filled in as zero requests (and no latency), so a stall shows
as a dip to zero rather than a line drawn across it.
"""

from __future__ import annotations

from typing import Any

from harness.report.html.markup import badge, facts, href, table, text
from harness.report.load_data import LoadFacts, number
from harness.report.model import Verdict
from harness.report.plots import Series, line_chart

CAPTURE_METHOD = (
    "Expected octets are what the load clients counted on each connection they opened (both"
    " directions). Each connection is found in the pcap by its ports and start time and rebuilt by"
    " sequence number; a direction's missing octets are the larger of its holes and its shortfall."
    " Over TLS the clients count plaintext while the pcap holds records, so there only holes show"
    " loss. Kernel drops are tcpdump's own count."
)


def _per_second(load: LoadFacts) -> list[dict[str, Any]]:
    """Every second from 0 to the last point; missing seconds as empty points."""
    by_second = {int(point.get("t", 0)): point for point in load.timeline}
    if not by_second:
        return []
    return [by_second.get(second, {"t": second}) for second in range(max(by_second) + 1)]


def _counts(points: list[dict[str, Any]], key: str) -> list[tuple[float, float | None]]:
    return [(float(p["t"]), float(p.get(key) or 0)) for p in points]


def throughput_chart(load: LoadFacts) -> str:
    points = _per_second(load)
    if not points:
        return ""
    messages = line_chart(
        [
            Series("acknowledged", _counts(points, "acknowledged")),
            Series("delivered", _counts(points, "delivered"), "var(--passed)"),
        ],
        title="messages per second: acknowledged by the server, first seen by a reader",
        unit="/s",
    )
    requests = line_chart(
        [
            Series("requests", _counts(points, "requests")),
            Series("failed", _counts(points, "failures"), "var(--failed)"),
        ],
        title="requests per second, and failed requests",
        unit="/s",
    )
    return f"<h3>Throughput over time</h3>{messages}{requests}"


def latency_chart(load: LoadFacts) -> str:
    points = _per_second(load)
    series = [(float(p["t"]), number(p.get("p95_ms"))) for p in points]
    chart = line_chart(
        [Series("p95, every command", series, "var(--error)")],
        title="p95 latency per second over every command completed in it",
        unit="ms",
    )
    return f"<h3>p95 latency over time</h3>{chart}" if chart else ""


def capacity_block(load: LoadFacts) -> str:
    capacity = load.capacity
    if not capacity:
        return ""
    steps = [s for s in capacity.get("steps") or [] if isinstance(s, dict)]
    held = number(capacity.get("highest_passing_rate"))
    headline = (
        f"Highest rate that held: <strong>{held:g} messages/s</strong>"
        if held is not None
        else "<strong>Not even the first rate held.</strong>"
    )
    headline += text(
        f" (stopped by {capacity.get('stopped_by', '?')}; steps of {_step_text(capacity)})"
    )
    rows = [_step_row(step) for step in steps]
    chart = line_chart(
        [
            Series("offered", [(float(s["rate"]), float(s["rate"])) for s in steps]),
            Series(
                "acknowledged",
                [(float(s["rate"]), number(s.get("messages_per_s"))) for s in steps],
                "var(--passed)",
            ),
        ],
        title="acknowledged against offered messages per second, per step",
        unit="/s",
        x_unit="/s",
    )
    headers = [
        "offered /s",
        "acknowledged /s",
        "late starts",
        "error rate",
        "verdict",
        "failed gates",
    ]
    return f"<h3>Capacity search</h3><p>{headline}</p>{table(headers, rows)}{chart}"


def _step_text(capacity: dict[str, Any]) -> str:
    return (
        f"{capacity.get('step', '?')}/s from {capacity.get('start', '?')} to"
        f" {capacity.get('max', '?')}, {capacity.get('step_duration_s', '?')} s each"
    )


def _step_row(step: dict[str, Any]) -> list[str]:
    verdict = badge(Verdict.PASSED if step.get("passed") else Verdict.FAILED)
    if step.get("generator_bound"):
        verdict += " <span class='muted'>generator-bound</span>"
    return [
        f"<td class='num'>{text(step.get('rate'))}</td>",
        f"<td class='num'>{float(step.get('messages_per_s') or 0):.1f}</td>",
        f"<td class='num'>{int(step.get('late_starts') or 0)}</td>",
        f"<td class='num'>{float(step.get('error_rate') or 0):.2%}</td>",
        f"<td>{verdict}</td>",
        f"<td>{text(', '.join(step.get('failed_gates') or []))}</td>",
    ]


def capture_block(load: LoadFacts, link_base: str = "") -> str:
    capture = load.capture
    if not capture:
        return ""
    if capture.get("backend") is None:
        return f"<h3>Packet capture</h3><p class='muted'>No capture: {text(capture.get('reason', ''))}</p>"
    expected = int(capture.get("expected_octets") or 0)
    missing = int(capture.get("missing_octets") or 0)
    loss = missing / expected if expected else 0.0
    loss_text = f"{missing:,} of {expected:,} octets missing ({loss:.2%} loss)"
    loss_html = (
        f"<strong class='capture-incomplete'>{text(loss_text)}</strong>"
        if missing
        else f"<span class='capture-complete'>{text(loss_text)}</span>"
    )
    drops = capture.get("kernel_drops")
    rows = [
        ("backend", text(capture.get("backend"))),
        ("pcap", _link(capture.get("pcap"), link_base) + _keylog(capture, link_base)),
        (
            "packets",
            text(
                f"{capture.get('packets')} written, {'unknown' if drops is None else drops} dropped by the kernel"
            ),
        ),
        (
            "connections",
            text(
                f"{capture.get('complete_connections', 0)} complete of {capture.get('connections', 0)}"
                f" recorded ({capture.get('connections_found', 0)} found in the pcap)"
            ),
        ),
        ("loss", loss_html),
        ("all TCP payload in the pcap", text(f"{int(capture.get('pcap_octets') or 0):,} octets")),
    ]
    return f"<h3>Packet capture</h3>{facts(rows)}<p class='muted'>{text(CAPTURE_METHOD)}</p>"


def _link(path: Any, link_base: str) -> str:
    if not path:
        return "–"
    return f'<a href="{href(str(path), link_base)}"><code>{text(path)}</code></a>'


def _keylog(capture: dict[str, Any], link_base: str) -> str:
    keylog = capture.get("keylog")
    return f" · TLS keys {_link(keylog, link_base)}" if keylog else ""
