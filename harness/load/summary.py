"""The terminal summary of a load run, and the progress line while it runs.

``summary_renderable`` gives rich tables: latency percentiles per command
(p50/p90/p95/p99/max, ms) with counts and errors by reply code, throughput,
delivery latency percentiles, the integrity counts, and the SLO verdicts.
``render_summary`` renders them to text (tests, logs, plain output).
"""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from harness.load.capture import describe as describe_capture
from harness.load.result import LoadResult


def summary_renderable(result: LoadResult) -> RenderableType:
    return Group(
        _headline(result),
        _commands(result),
        _delivery(result),
        *([_slo(result)] if result.slo else []),
        *([_capacity(result)] if result.capacity else []),
        *([Text(describe_capture(result.capture))] if result.capture else []),
        *(Text(f"warning: {w}", style="yellow") for w in result.warnings),
        _verdict(result),
    )


def render_summary(result: LoadResult, *, width: int = 120, color: bool = False) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system="standard" if color else None)
    console.print(summary_renderable(result))
    return buffer.getvalue()


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _headline(result: LoadResult) -> Text:
    loop = "open loop" if result.open_loop else "closed loop"
    return Text(
        f"load profile {result.profile} against {result.target}: {result.duration_s:.1f}s "
        f"({loop}), peak {result.peak_users} users in {result.processes} process(es); "
        f"{result.requests} requests ({result.requests_per_s:.1f}/s), "
        f"{result.messages_per_s:.1f} messages/s acknowledged, "
        f"error rate {result.error_rate:.2%}",
        style="bold",
    )


def _commands(result: LoadResult) -> Table:
    table = Table(title="latency per command (ms)", show_edge=False)
    for column in ("command", "requests", "failed", "p50", "p90", "p95", "p99", "max"):
        table.add_column(column, justify="left" if column == "command" else "right")
    table.add_column("errors by reply code")
    for stats in result.commands:
        errors = ", ".join(f"{code} ×{count}" for code, count in stats.errors.items())
        table.add_row(
            stats.name,
            str(stats.requests),
            Text(str(stats.failures), style="red" if stats.failures else ""),
            *(
                _ms(v)
                for v in (stats.p50_ms, stats.p90_ms, stats.p95_ms, stats.p99_ms, stats.max_ms)
            ),
            errors,
        )
    return table


def _delivery(result: LoadResult) -> Table:
    d = result.delivery
    table = Table(title="delivery and integrity", show_edge=False, show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("sent / acknowledged / refused", f"{d.sent} / {d.acknowledged} / {d.refused}")
    table.add_row(
        "delivered (by readers + found after)",
        f"{d.delivered} ({d.seen_by_readers} + {d.found_after_load})",
    )
    for name in ("lost", "duplicated", "corrupted", "unexpected"):
        value = getattr(d, name)
        table.add_row(name, Text(str(value), style="bold red" if value else "green"))
    latency = (d.latency_p50_s, d.latency_p90_s, d.latency_p95_s, d.latency_p99_s, d.latency_max_s)
    table.add_row("delivery latency p50/p90/p95/p99/max (s)", " / ".join(_ms(v) for v in latency))
    table.add_row("settled within grace", f"{'yes' if d.settled else 'no'} ({d.grace_s:g}s)")
    for label, ids in (("lost", d.lost_ids), ("corrupted", d.corrupted_ids)):
        for message in ids[:5]:
            table.add_row(f"  {label}", message)
    return table


def _slo(result: LoadResult) -> Table:
    table = Table(title="SLO gates", show_edge=False)
    for column in ("gate", "limit", "actual", "verdict"):
        table.add_column(column, justify="left" if column == "gate" else "right")
    for verdict in result.slo:
        actual = "no data" if verdict.actual is None else f"{verdict.actual:g}"
        table.add_row(
            verdict.gate,
            f"{verdict.limit:g} {verdict.unit}",
            actual,
            Text("pass", style="green") if verdict.passed else Text("FAIL", style="bold red"),
        )
    return table


def _capacity(result: LoadResult) -> Table:
    capacity = result.capacity
    assert capacity is not None
    held = capacity.highest_passing_rate
    title = (
        f"capacity: {held:g} messages/s held (stopped by {capacity.stopped_by})"
        if held is not None
        else f"capacity: not even {capacity.start:g} messages/s held"
    )
    table = Table(title=title, show_edge=False)
    for column in ("offered/s", "acked/s", "late starts", "error rate", "verdict", "failed gates"):
        table.add_column(column, justify="left" if column == "failed gates" else "right")
    for step in capacity.steps:
        verdict = Text("held", style="green") if step.passed else Text("BROKE", style="bold red")
        if step.generator_bound:
            verdict.append(" (generator-bound)", style="yellow")
        table.add_row(
            f"{step.rate:g}",
            f"{step.messages_per_s:.1f}",
            str(step.late_starts),
            f"{step.error_rate:.2%}",
            verdict,
            ", ".join(step.failed_gates),
        )
    return table


def _verdict(result: LoadResult) -> Text:
    if result.passed:
        return Text("load run passed", style="bold green")
    if not result.complete:
        return Text("load run incomplete: stopped before it ended", style="bold red")
    failed = [v.gate for v in result.slo if not v.passed]
    verdict = Text(f"load run failed: {', '.join(failed)}", style="bold red")
    if result.requests == 0:
        # Gates then fail on "no data"; say why, or a newcomer hunts a slow server.
        verdict.append(
            "\nthe users made no request at all: they could not start or crashed"
            " (locust.log beside the result has the traceback)",
            style="red",
        )
    return verdict


def progress_line(progress: dict[str, Any]) -> str:
    """One line for the display while the run goes on."""
    return (
        f"[{progress.get('phase', '?')}] {progress.get('elapsed', 0):>6.1f}s"
        f"/{progress.get('duration', 0):g}s  users {progress.get('users', 0)}  "
        f"requests {progress.get('requests', 0)} (failed {progress.get('failures', 0)})  "
        f"sent {progress.get('sent', 0)}  acked {progress.get('acknowledged', 0)}  "
        f"delivered {progress.get('delivered', 0)}  outstanding {progress.get('outstanding', 0)}"
    )
