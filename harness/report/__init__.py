"""Reports: the versioned result of a run, and renderers that only render.

``model``     Report (schema_version 1), Meta, CaseResult, Summary, and the JSON
              form (reports/README.md documents every field).
``policy``    the exit status of a run (MUST/SHOULD gating) and baseline files.
``junit``     JUnit XML for CI; ``terminal`` a rich summary; ``markdown`` a CI comment.

No I/O beyond reading and writing files: no sockets, no trio.
"""

from harness.report.model import (
    SCHEMA_VERSION,
    Capabilities,
    CaptureInfo,
    CaseResult,
    Machine,
    Meta,
    Report,
    ReportFormatError,
    Summary,
    TargetInfo,
    Verdict,
    read_report,
    write_report,
)
from harness.report.policy import (
    BaselineError,
    ExitDecision,
    exit_decision,
    parse_baseline,
    read_baseline,
    render_baseline,
)

__all__ = [
    "SCHEMA_VERSION",
    "BaselineError",
    "Capabilities",
    "CaptureInfo",
    "CaseResult",
    "ExitDecision",
    "Machine",
    "Meta",
    "Report",
    "ReportFormatError",
    "Summary",
    "TargetInfo",
    "Verdict",
    "exit_decision",
    "parse_baseline",
    "read_baseline",
    "read_report",
    "render_baseline",
    "write_report",
]
