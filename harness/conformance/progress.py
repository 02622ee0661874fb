"""Progress of a run while it goes: a rich bar on a terminal, one line per case otherwise.

CI logs are not terminals: there each finished case is one plain line
(verdict, id, file, time, and the reason when it did not pass), which reads
well in a log and greps well. On a terminal a progress bar counts cases and
names the last one.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from harness.report import CaseResult, Verdict

REASON_CHARS = 160


class CaseProgress:
    def __init__(self, total: int, *, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.total = total
        self.quiet = quiet
        self.stream = stream or sys.stdout
        self.done = 0
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> CaseProgress:
        if not self.quiet and self.stream.isatty():
            self._bar = Progress(
                TextColumn("[bold]conformance"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=Console(file=self.stream),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("", total=self.total)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def case_done(self, result: CaseResult) -> None:
        self.done += 1
        if self.quiet:
            return
        if self._bar is not None and self._task is not None:
            self._bar.update(
                self._task, advance=1, description=f"{result.verdict.value} {result.id}"
            )
            return
        print(plain_line(result, self.done, self.total), file=self.stream, flush=True)


def plain_line(result: CaseResult, done: int, total: int) -> str:
    width = len(str(total))
    line = f"[{done:>{width}}/{total}] {result.verdict.value:<7} {result.id} ({result.file}, {result.duration_ms:.0f} ms)"
    if result.verdict is not Verdict.PASSED and result.reason:
        reason = (
            result.reason
            if len(result.reason) <= REASON_CHARS
            else result.reason[:REASON_CHARS] + "…"
        )
        line += f"\n          {reason}"
    return line
