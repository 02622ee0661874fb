"""A load run as a report.json: run metadata, no cases, the result as ``load``.

So the report tools (``mailharness report``, ``compare``) read load runs the
way they read conformance runs (reports/README.md).
"""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

from harness import __version__
from harness.load.result import CaptureSummary, LoadResult
from harness.report.model import CaptureInfo, Machine, Meta, Report, TargetInfo, write_report
from harness.targets import Target

CHECKOUT = Path(__file__).resolve().parents[2]
REPORT_FILE = "report.json"


def run_report(result: LoadResult, target: Target, command_line: list[str]) -> Report:
    meta = Meta(
        tool_version=__version__,
        started=datetime.fromisoformat(result.started),
        finished=datetime.fromisoformat(result.finished),
        machine=Machine.current(),
        target=TargetInfo(
            name=target.name,
            host=target.host,
            ports={name: service.port for name, service in target.services.items()},
        ),
        git_commit=_git_commit(),
        suite_paths=[result.profile_path],
        command_line=command_line,
        capture=_capture_info(result.capture),
    )
    return Report(meta=meta, cases=[], load=result.to_json())


def _capture_info(summary: CaptureSummary | None) -> CaptureInfo | None:
    """The report's run-wide capture facts; the load section keeps the rest."""
    if summary is None:
        return None
    return CaptureInfo(
        mode=summary.mode,
        backend=summary.backend,
        reason=summary.reason,
        pcap=summary.pcap,
        packets=summary.packets,
        kernel_drops=summary.kernel_drops,
        connections=summary.connections,
        complete_connections=summary.complete_connections,
        expected_octets=summary.expected_octets,
        missing_octets=summary.missing_octets,
    )


def write_run_report(result: LoadResult, target: Target, out_dir: Path, argv: list[str]) -> Path:
    path = out_dir / REPORT_FILE
    write_report(run_report(result, target, argv), path)
    return path


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=CHECKOUT,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and len(commit) == 40 else None
