"""What running one case came to, and the CaseResult the report keeps of it.

Shared by the dialogue runner (``runner``) and the message journeys
(``fidelity``, ``relay``), so every kind of case is reported alike.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from harness.conformance.message_case import Case
from harness.report import CaseResult, Verdict
from harness.transcript import Transcript, render_sessions

TRANSCRIPT_EVENT_BYTES = 64 * 1024  # longer single writes are cut in the report


@dataclass
class Outcome:
    verdict: Verdict
    reason: str = ""
    expected: str | None = None
    received: str | None = None
    transcripts: dict[str, Transcript] = field(default_factory=dict)


def case_result(case: Case, outcome: Outcome, started: float) -> CaseResult:
    header = case.header
    transcript = ""
    if outcome.transcripts:
        transcript = render_sessions(outcome.transcripts, max_event_bytes=TRANSCRIPT_EVENT_BYTES)
    return CaseResult(
        id=case.id,
        file=case.path,
        title=header.title,
        protocol=header.protocol.value,
        area=header.area or "",
        rfc=header.reference,
        level=header.level.value,
        verdict=outcome.verdict,
        reason=outcome.reason,
        duration_ms=round((time.monotonic() - started) * 1000, 1),
        transcript=transcript,
        expected=outcome.expected,
        received=outcome.received,
    )
