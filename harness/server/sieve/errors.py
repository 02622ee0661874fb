"""The one error a Sieve script can cause at compile time, with where it happened.

RFC 5228 §2.10.6 separates compile-time from run-time errors. Everything this
package can reject is found at compile time (the whole script is checked when
it is stored, as a ManageSieve PUTSCRIPT would), so a script that compiled
never raises while it is evaluated. Run-time failures belong to the caller:
the store may refuse a mailbox name; see ``docs/filing-rules.md`` for the
server's policy (fall back to keep).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Position:
    """A place in the script text: 1-based line and column (in characters)."""

    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


class SieveError(Exception):
    """A script is not valid Sieve, or uses what this server does not support."""

    def __init__(self, message: str, position: Position) -> None:
        super().__init__(f"{position}: {message}")
        self.message = message
        self.position = position

    @property
    def line(self) -> int:
        return self.position.line

    @property
    def column(self) -> int:
        return self.position.column


class LineIndex:
    """Turns character offsets into positions; built once per script."""

    def __init__(self, text: str) -> None:
        self._line_starts = [0]
        self._line_starts.extend(i + 1 for i, ch in enumerate(text) if ch == "\n")

    def position(self, offset: int) -> Position:
        line = bisect_right(self._line_starts, offset)
        return Position(line, offset - self._line_starts[line - 1] + 1)
