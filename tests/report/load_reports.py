"""The real load-run reports in tests/report/load_samples/ (see its README)."""

from __future__ import annotations

from pathlib import Path

from harness.report.model import Report, read_report

SAMPLES = Path(__file__).resolve().parent / "load_samples"


def load_report(name: str) -> Report:
    """``reference``, ``reference-captured`` or ``lossy``."""
    return read_report(SAMPLES / f"{name}.json")
