"""Packet traces and TLS key logs for a conformance run (docs/capture.md, "Conformance runs").

* **One capture for the run** (``capturing``), on every port of the target
  (and of its relay peer): cases run in parallel on the same ports, so a
  capture per case would hold its neighbours' packets anyway, and each
  start and stop costs a settle time.
* **A key log per case.** Every runner worker owns one TLS client context
  (``worker_context``) and runs one case at a time, so pointing that
  context's key log at the case's file before the case starts
  (``begin_case``) puts every TLS secret of the case, and only those, into
  ``<case>.keys`` beside ``<case>.pcap``.
* **After the run** (``attach``) the capture is split per case by
  connection (``harness.capture.split``), each case's pcap is checked
  against the transcripts the case recorded (``check_completeness``), and
  the report gets ``pcap``, ``keylog`` and ``capture_complete`` per case and
  the run's loss in ``meta.capture``.

A capture that cannot start under ``--capture auto`` is noted in
``meta.capture.reason`` and the run goes on without; a backend asked for by
name that fails is an error.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

import trio

from harness.capture import (
    Capture,
    CaptureError,
    CapturePlan,
    CaptureStats,
    check_completeness,
    keylog_path,
    pcap_path,
)
from harness.capture.split import split_capture
from harness.net import client_ssl_context
from harness.report import CaptureInfo, CaseResult, Report
from harness.targets import Target
from harness.transcript import Transcript

PCAP_DIR = "pcaps"
RUN_PCAP = "_run.pcap"  # "_" first: no case id maps to it (pcap_path strips it)
KEYLOG_HEADER = b"#"  # Python writes a comment line when the file is opened


class RunEvidence:
    """The capture plan of one run, the files it writes under ``out_dir``, and what was seen."""

    def __init__(self, plan: CapturePlan, out_dir: Path) -> None:
        self.plan = plan
        self.out_dir = out_dir
        self.pcap_dir = out_dir / PCAP_DIR
        self.run_pcap = self.pcap_dir / RUN_PCAP
        self.failure: str | None = None  # why a capture "auto" planned did not run
        self._capture: Capture | None = None
        self._stats: CaptureStats | None = None
        self._files: dict[str, Path] = {}  # case id -> its pcap
        self._transcripts: dict[str, list[Transcript]] = {}

    @property
    def capturing_now(self) -> bool:
        return self._capture is not None

    # --- the run-wide capture -------------------------------------------------------

    @asynccontextmanager
    async def capturing(self, ports: Iterable[int]) -> AsyncIterator[None]:
        """Capture on ``ports`` for the block (not at all when the plan says no)."""
        if not self.plan.enabled:
            yield
            return
        capture = self.plan.capture(self.run_pcap, ports=ports)
        try:
            await trio.to_thread.run_sync(capture.start)
        except CaptureError as error:
            if self.plan.mode != "auto":
                raise
            self.failure = f"the {self.plan.backend} capture did not start: {error}"
            yield
            return
        self._capture = capture
        try:
            yield
        finally:
            with trio.CancelScope(shield=True):
                self._stats = await trio.to_thread.run_sync(capture.stop)

    # --- per case: key log and transcripts ----------------------------------------------

    def worker_context(self, target: Target) -> ssl.SSLContext:
        """A TLS client context of the worker's own, its key log switched per case."""
        return client_ssl_context(verify=target.tls_verify, ca_file=target.ca_file)

    def pcap_for(self, case_id: str) -> Path:
        """The case's pcap path (unique even when two ids make the same file name)."""
        if case_id not in self._files:
            path = pcap_path(self.pcap_dir, case_id)
            taken = set(self._files.values())
            number = 1
            while path in taken:  # bounded by the number of cases
                number += 1
                path = pcap_path(self.pcap_dir, f"{case_id}-{number}")
            self._files[case_id] = path
        return self._files[case_id]

    def keylog_for(self, case_id: str) -> Path | None:
        """Where the case's TLS secrets go; None while nothing is captured."""
        if self._capture is None:
            return None
        return keylog_path(self.pcap_for(case_id))

    def begin_case(self, case_id: str, context: ssl.SSLContext) -> None:
        keylog = self.keylog_for(case_id)
        if keylog is not None:
            keylog.parent.mkdir(parents=True, exist_ok=True)
            context.keylog_filename = str(keylog)

    def end_case(self, case_id: str, transcripts: Iterable[Transcript]) -> None:
        if self._capture is not None:
            self._transcripts.setdefault(case_id, []).extend(transcripts)

    # --- after the run ----------------------------------------------------------------

    def attach(self, report: Report) -> None:
        """Split the capture per case, check each, fill the report's capture fields."""
        info = CaptureInfo(
            mode=self.plan.mode,
            backend=self.plan.backend if self._stats is not None else None,
            reason=self.failure or self.plan.reason,
        )
        report.meta.capture = info
        if self._stats is None:
            return
        info.pcap = self._relative(self.run_pcap)
        info.packets, info.kernel_drops = self._stats.packets, self._stats.dropped
        wanted = {self.pcap_for(i): t for i, t in self._transcripts.items() if t}
        split_capture(self.run_pcap, wanted)
        for case in report.cases:
            self._judge_case(case, info)
            self._keep_keylog(case)

    def _judge_case(self, case: CaseResult, info: CaptureInfo) -> None:
        transcripts = self._transcripts.get(case.id)
        if not transcripts:
            return  # no connection: nothing to have captured
        pcap = self.pcap_for(case.id)
        checked = check_completeness(pcap, transcripts)
        case.pcap = self._relative(pcap)
        case.capture_complete = checked.complete
        info.connections += len(checked.checks)
        info.complete_connections += sum(c.status.value == "complete" for c in checked.checks)
        info.expected_octets += checked.expected_octets
        info.missing_octets += checked.missing_octets

    def _keep_keylog(self, case: CaseResult) -> None:
        """Keep a key log that holds secrets; one with only Python's comment line goes."""
        if case.id not in self._files:
            return
        keylog = keylog_path(self._files[case.id])
        if not keylog.exists():
            return
        has_secrets = any(
            line and not line.startswith(KEYLOG_HEADER) for line in keylog.read_bytes().splitlines()
        )
        if has_secrets and case.pcap is not None:
            case.keylog = self._relative(keylog)
        else:
            keylog.unlink()

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.out_dir).as_posix()
