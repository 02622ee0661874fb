"""Does a group of S: expectations match the responses received so far?

Pure functions: no I/O, no clocks. The runner calls ``match_expectation``
with the responses it has decoded for a session; the answer is

* MATCHED: the first ``consumed`` responses satisfy the group (the rest stay
  for the next group), with the captures it bound;
* MISMATCH: no reading of the responses can satisfy it, with a message
  ``file:line: expected X, got Y``;
* NEED_MORE: the responses so far are a correct prefix; read more and ask
  again (on timeout or EOF, report the message it carries).

The rules are those of suites/README.md, "Matching server responses". Runs of
S: lines are matched one line each, without search; only ``either:`` and
``unordered:`` branch, and the search backtracks over them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from harness.conformance.model import (
    EitherNode,
    Expect,
    LineNode,
    Location,
    Node,
    RestNode,
    UnorderedNode,
)
from harness.conformance.patterns import LineOutcome, match_line
from harness.conformance.response import Response
from harness.conformance.template import UnboundName
from harness.transcript.model import Direction
from harness.transcript.text import render_line

Position = tuple[int, int]  # (response index, line index); line 0 is a boundary
Bindings = dict[str, bytes]


class MatchStatus(StrEnum):
    MATCHED = "matched"
    MISMATCH = "mismatch"
    NEED_MORE = "need-more"


@dataclass(frozen=True)
class MatchResult:
    status: MatchStatus
    consumed: int = 0
    captures: Mapping[str, bytes] = field(default_factory=dict)
    location: Location | None = None
    expected: str = ""
    received: str = ""
    message: str = ""


@dataclass(frozen=True)
class _Failure:
    position: Position
    location: Location
    expected: str
    received: str
    reason: str = ""

    def message(self) -> str:
        text = f"{self.location}: expected {self.expected}, got {self.received}"
        return f"{text} ({self.reason})" if self.reason else text


def match_expectation(
    expect: Expect | Sequence[Node],
    responses: Sequence[Response],
    variables: Mapping[str, bytes],
) -> MatchResult:
    """Match one group against the responses received so far (see module doc)."""
    nodes = tuple(expect.nodes if isinstance(expect, Expect) else expect)
    search = _Search(responses, variables)
    for end, captures in search.sequence(nodes, 0, (0, 0), {}):
        if end[1] == 0:
            return MatchResult(MatchStatus.MATCHED, consumed=end[0], captures=captures)
        search.overrun(nodes, end)
    return search.verdict()


def describe(node: Node) -> str:
    """A node as written, for messages."""
    match node:
        case LineNode(kind=kind, source=source):
            return f"{kind.value} {source}".rstrip()
        case RestNode():
            return "..."
        case UnorderedNode(items=items):
            firsts = " | ".join(describe(item[0]) for item in items)
            return f"one of the unordered responses [{firsts}]"
        case EitherNode(branches=branches):
            return "either " + " or ".join(describe(branch[0]) for branch in branches)
    raise TypeError(f"not a node: {node!r}")


class _Search:
    def __init__(self, responses: Sequence[Response], variables: Mapping[str, bytes]) -> None:
        self.responses = responses
        self.variables = variables
        self.best: _Failure | None = None  # the mismatch that got furthest
        self.waiting: _Failure | None = None  # a path that ran out of responses
        self.quiet = 0  # >0 while trying unordered items: their misses are not the story

    # --- positions and failures ----------------------------------------------

    def normalise(self, position: Position) -> Position:
        index, line = position
        if index < len(self.responses) and line >= len(self.responses[index].lines):
            return index + 1, 0
        return position

    def received(self, position: Position) -> str:
        index, line = position
        if index >= len(self.responses):
            return "no response yet"
        return render_line(Direction.SERVER, self.responses[index].lines[line])

    def fail(self, position: Position, node: Node, reason: str = "", expected: str = "") -> None:
        if self.quiet:
            return
        failure = _Failure(
            position, node.location, expected or describe(node), self.received(position), reason
        )
        if position[0] >= len(self.responses):
            self.waiting = self.waiting or failure
        elif self.best is None or position > self.best.position:
            self.best = failure

    def overrun(self, nodes: tuple[Node, ...], end: Position) -> None:
        reason = "the response has more lines than the group expects; '...' accepts the rest"
        self.fail(end, nodes[-1], reason, expected="the end of the response")

    def verdict(self) -> MatchResult:
        status = MatchStatus.NEED_MORE if self.waiting else MatchStatus.MISMATCH
        failure = self.waiting or self.best
        assert failure is not None, "a failed search always records why"
        return MatchResult(
            status,
            location=failure.location,
            expected=failure.expected,
            received=failure.received,
            message=failure.message(),
        )

    # --- sequences ---------------------------------------------------------------

    def sequence(
        self, nodes: tuple[Node, ...], index: int, position: Position, bound: Bindings
    ) -> Iterator[tuple[Position, Bindings]]:
        """Every way ``nodes[index:]`` can match from ``position``, in preference order."""
        while index < len(nodes) and isinstance(nodes[index], LineNode | RestNode):
            step = self.line(nodes[index], position, bound)  # type: ignore[arg-type]
            if step is None:
                return
            position, bound = step
            index += 1
        if index == len(nodes):
            yield position, bound
            return
        node = nodes[index]
        if isinstance(node, EitherNode):
            alternatives = self.either(node, position, bound)
        else:
            follow = nodes[index + 1] if index + 1 < len(nodes) else None
            alternatives = self.unordered(node, follow, position, bound)  # type: ignore[arg-type]
        for next_position, next_bound in alternatives:
            yield from self.sequence(nodes, index + 1, next_position, next_bound)

    def line(
        self, node: LineNode | RestNode, position: Position, bound: Bindings
    ) -> tuple[Position, Bindings] | None:
        index, line = position
        if isinstance(node, RestNode):  # the rest of the current response, if any
            return ((index + 1, 0) if line else position), bound
        if index >= len(self.responses):
            self.fail(position, node)
            return None
        response = self.responses[index]
        if response.problem:
            self.fail(position, node, f"the server's bytes are not a response: {response.problem}")
            return None
        outcome = self.compare(node, position, bound)
        if outcome is None:
            return None
        if outcome.captures is None:
            self.fail(position, node, outcome.reason or self.incomplete(response, line))
            return None
        return self.normalise((index, line + 1)), bound | outcome.captures

    def compare(self, node: LineNode, position: Position, bound: Bindings) -> LineOutcome | None:
        text = self.responses[position[0]].lines[position[1]]
        try:
            return match_line(node, text, {**self.variables, **bound})
        except UnboundName as error:
            self.fail(position, node, f"{error} (is it captured only in another branch?)")
        except ValueError as error:  # an expression that cannot be computed (bad base64)
            self.fail(position, node, str(error))
        return None

    def incomplete(self, response: Response, line: int) -> str:
        last = line == len(response.lines) - 1
        return "the connection ended inside this response" if last and not response.complete else ""

    # --- branching nodes -------------------------------------------------------------

    def either(
        self, node: EitherNode, position: Position, bound: Bindings
    ) -> Iterator[tuple[Position, Bindings]]:
        for branch in node.branches:
            yield from self.sequence(branch, 0, position, bound)

    def unordered(
        self, node: UnorderedNode, follow: Node | None, position: Position, bound: Bindings
    ) -> Iterator[tuple[Position, Bindings]]:
        if position[1] != 0:
            self.fail(position, node, "the previous response has more lines than expected")
            return
        remaining = tuple(range(len(node.items)))
        yield from self.assign(node, follow, remaining, position[0], bound)

    def assign(
        self,
        node: UnorderedNode,
        follow: Node | None,
        remaining: tuple[int, ...],
        index: int,
        bound: Bindings,
    ) -> Iterator[tuple[Position, Bindings]]:
        """Give response ``index`` to one remaining item (or to ``...``), recursively."""
        if not remaining:
            yield (index, 0), bound
            others_left = node.allow_others and index < len(self.responses)
            if others_left and not self.starts(follow, index, bound):
                yield from self.assign(node, follow, remaining, index + 1, bound)
            return
        if index >= len(self.responses):
            self.fail((index, 0), node, expected=self.missing(node, remaining))
            return
        tried: set[str] = set()
        for item_index in remaining:
            item = node.items[item_index]
            signature = "\n".join(describe(n) for n in item)
            if signature in tried:
                continue  # identical items are interchangeable: try each shape once
            tried.add(signature)
            rest = tuple(i for i in remaining if i != item_index)
            for next_bound in self.whole_response(item, index, bound):
                yield from self.assign(node, follow, rest, index + 1, next_bound)
        if node.allow_others and not self.starts(follow, index, bound):
            yield from self.assign(node, follow, remaining, index + 1, bound)
        self.fail((index, 0), node, expected=self.missing(node, remaining))

    def whole_response(
        self, item: tuple[Node, ...], index: int, bound: Bindings
    ) -> Iterator[Bindings]:
        """Bindings for each way ``item`` matches exactly response ``index``."""
        alone = _Search(self.responses[index : index + 1], self.variables)
        alone.quiet = 1
        for end, next_bound in alone.sequence(item, 0, (0, 0), bound):
            if end == (1, 0):
                yield next_bound

    def starts(self, follow: Node | None, index: int, bound: Bindings) -> bool:
        """Does what follows the unordered block match the start of response ``index``?"""
        if follow is None:
            return False
        probe = _Search(self.responses[index : index + 1], self.variables)
        probe.quiet = 1
        return any(True for _ in probe.sequence((follow,), 0, (0, 0), bound))

    def missing(self, node: UnorderedNode, remaining: tuple[int, ...]) -> str:
        lines = ", ".join(str(node.items[i][0].location.line) for i in remaining)
        firsts = " | ".join(describe(node.items[i][0]) for i in remaining)
        return f"one of the unordered responses not matched yet (line {lines}: {firsts})"
