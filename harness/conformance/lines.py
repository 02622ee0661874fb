"""Body lines of a script, classified before the block structure is parsed.

Each non-blank, non-comment body line becomes a ``BodyLine``: its location,
its session prefix (if any), its keyword and the rest of the line. Data lines
(``C:``, ``S:``...) keep their text exactly; other lines are trimmed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.conformance.model import Location, ScriptError

DATA_KEYWORDS = ("C:", "C-:", "S:", "S-:", "S~:")
BLOCK_KEYWORDS = ("write:", "unordered:", "either:", "or:", "response:", "parallel:", "end")
WORD_KEYWORDS = ("starttls", "starttls or close", "close", "sync", "...")
ARGUMENT_KEYWORDS = ("expect silence", "expect close", "sleep", "open")
EXPECTATION_KEYWORDS = ("S:", "S-:", "S~:", "...", "unordered:", "either:")

_SESSION = re.compile(r"\[([^\]]*)\]\s*")
SESSION_NAME = re.compile(r"[A-Za-z0-9_-]+")
_DATA = re.compile(r"(C-:|C:|S-:|S~:|S:)(.*)", re.DOTALL)


@dataclass(frozen=True)
class BodyLine:
    location: Location
    session: str | None
    keyword: str
    text: str = ""
    column: int = 0  # where ``text`` starts in the file line (0-based)

    def fail(self, message: str) -> ScriptError:
        return ScriptError(self.location, message)


def classify(location: Location, raw: str) -> BodyLine | None:
    """The BodyLine for one raw line, or None for blank lines and comments."""
    line = raw.lstrip()
    offset = len(raw) - len(line)
    if not line.strip() or line.startswith("#"):
        return None
    session = None
    prefix = _SESSION.match(line)
    if prefix:
        session = prefix.group(1)
        if not SESSION_NAME.fullmatch(session):
            raise ScriptError(location, f"session name [{session}] must be letters, digits, _ or -")
        line = line[prefix.end() :]
        offset += prefix.end()
    data = _DATA.match(line)
    if data:
        column = offset + len(data.group(1)) + 1
        return BodyLine(location, session, data.group(1), _data_text(location, data), column)
    return _classify_word(location, session, line.rstrip())


def _data_text(location: Location, data: re.Match[str]) -> str:
    keyword, rest = data.group(1), data.group(2)
    if rest and not rest.startswith(" "):
        raise ScriptError(location, f"expected a space after {keyword}, got {rest[:1]!r}")
    text = rest[1:]
    if text[-1:].isspace():
        raise ScriptError(
            location,
            "trailing whitespace is invisible and editors strip it: "
            "write a final space as ${SP} and a tab as ${TAB}",
        )
    return text


def _classify_word(location: Location, session: str | None, line: str) -> BodyLine:
    if line in BLOCK_KEYWORDS or line in WORD_KEYWORDS:
        return BodyLine(location, session, line)
    for keyword in ARGUMENT_KEYWORDS:
        if line == keyword or line.startswith(keyword + " "):
            return BodyLine(location, session, keyword, line[len(keyword) :].strip())
    hint = ""
    if re.match(r"[cs][~-]?:", line):
        hint = " (keywords are upper case: C: and S:)"
    elif line.rstrip(":") in {k.rstrip(":") for k in BLOCK_KEYWORDS}:
        hint = f" (did you mean {line.rstrip(':')}:?)"
    raise ScriptError(
        location,
        f"expected C:, C-:, S:, S-:, S~:, ..., a block (write:, unordered:, either:, "
        f"parallel:) or a directive (starttls, starttls or close, expect close, expect silence, sleep, close, "
        f"open, sync), got {line[:40]!r}{hint}",
    )
