"""One S:, S-: or S~: line as a regular expression over one response line.

The regex depends on what is bound when the line is matched: a bound name
matches its value exactly, an unbound one becomes a capture group. So the
pattern is built at match time from the template and the bindings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from harness.conformance.model import LineKind, LineNode
from harness.conformance.response import split_terminator
from harness.conformance.template import (
    Choice,
    Computed,
    Literal,
    Name,
    Ref,
    Template,
    Wildcard,
    evaluate,
    names_used,
)

# A capture is one or more non-whitespace bytes: a token, a number, a tag.
CAPTURE = rb"\S+"
WITHIN_LINE = rb"[^\r\n]*"
CRLF = b"\r\n"


@dataclass(frozen=True)
class LineOutcome:
    """How one line compared: bindings when it matched, else why not."""

    captures: dict[str, bytes] | None
    reason: str = ""


def pattern_source(kind: LineKind, template: Template, bound: Mapping[str, bytes]) -> bytes:
    """Regex source for the line; raises UnboundName for a name it needs bound."""
    pieces: list[bytes] = []
    fresh: set[str] = set()
    for part in template:
        match part:
            case Literal(data):
                pieces.append(data if kind is LineKind.REGEX else re.escape(data))
            case Wildcard():
                pieces.append(WITHIN_LINE)
            case Choice(options):
                pieces.append(b"(?:" + b"|".join(re.escape(o) for o in options) + b")")
            case Name(name) if name in bound or kind is LineKind.REGEX:
                pieces.append(re.escape(evaluate(Ref(name), bound)))
            case Name(name) if name in fresh:
                pieces.append(b"(?P=" + name.encode() + b")")
            case Name(name):
                fresh.add(name)
                pieces.append(b"(?P<" + name.encode() + b">" + CAPTURE + b")")
            case Computed(expr):
                pieces.append(re.escape(evaluate(expr, bound)))
    return b"".join(pieces)


def regex_error(template: Template) -> str | None:
    """Why an S~: line's regex does not compile, or None (checked at parse time)."""
    placeholder = {name: b"x" for name in names_used(template)}
    try:
        re.compile(pattern_source(LineKind.REGEX, template, placeholder))
    except re.error as error:
        return str(error)
    return None


def match_line(node: LineNode, line: bytes, bound: Mapping[str, bytes]) -> LineOutcome:
    """Compare one response line with one S: line."""
    pattern = re.compile(pattern_source(node.kind, node.template, bound))
    if node.kind is LineKind.RAW:
        found = pattern.fullmatch(line)
        return _outcome(found, bound) if found else LineOutcome(None)
    content, terminator = split_terminator(line)
    found = pattern.fullmatch(content)
    if found is None:
        return LineOutcome(None)
    if terminator != CRLF:
        ending = "a bare LF" if terminator else "no line end"
        return LineOutcome(None, f"the line ends in {ending}, not CRLF (use S-: to expect that)")
    return _outcome(found, bound)


def _outcome(found: re.Match[bytes], bound: Mapping[str, bytes]) -> LineOutcome:
    captures = {name: value for name, value in found.groupdict().items() if value is not None}
    for name, value in captures.items():
        if name in bound and bound[name] != value:
            reason = f"capture {name} is already {bound[name]!r}, this line has {value!r}"
            return LineOutcome(None, reason)
    return LineOutcome(captures)
