"""The block structure of a script body: classified lines -> steps and nodes.

Besides the shapes of blocks, the parser checks what can be checked before a
run: sessions are used consistently, every name a C: line sends is bound by
an account or an earlier capture, ``...`` follows a line it can extend.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from harness.conformance.header import IMAP_SERVICES, parse_duration
from harness.conformance.lines import EXPECTATION_KEYWORDS, BodyLine
from harness.conformance.model import (
    Chunk,
    Close,
    EitherNode,
    Expect,
    ExpectClose,
    ExpectSilence,
    Header,
    LineKind,
    LineNode,
    Node,
    Open,
    Parallel,
    RestNode,
    ScriptError,
    Send,
    Service,
    SessionState,
    Sleep,
    StartTLS,
    Step,
    Sync,
    UnorderedNode,
)
from harness.conformance.patterns import regex_error
from harness.conformance.template import (
    Name,
    Template,
    TemplateError,
    names_used,
    parse_template,
    regex_group_names,
)

DEFAULT_SESSION = "main"
_ACCOUNT_NAME = re.compile(r"(user|password|domain)(\d+)")


def account_variables(accounts: int) -> set[str]:
    """Names every script may use: the session's account, numbered accounts, host."""
    names = {"user", "password", "domain", "host"}
    for number in range(1, accounts + 1):
        names |= {f"user{number}", f"password{number}", f"domain{number}"}
    return names


class BodyParser:
    def __init__(self, lines: list[BodyLine], header: Header, bound: set[str]) -> None:
        self.lines = lines
        self.header = header
        self.position = 0
        self.bound = set(bound)  # names known at this point in file order
        self.sessions: list[str] = []
        self.open_sessions: set[str] = set()
        self.closed_sessions: set[str] = set()
        self.bracketed = any(line.session is not None for line in lines)

    # --- cursor ----------------------------------------------------------------

    def peek(self) -> BodyLine | None:
        return self.lines[self.position] if self.position < len(self.lines) else None

    def take(self) -> BodyLine:
        line = self.lines[self.position]
        self.position += 1
        return line

    def block_lines(self, opener: BodyLine, session: str) -> Iterable[BodyLine]:
        """The lines of a block up to (and consuming) its ``end``."""
        while (line := self.peek()) is not None:
            if line.session is not None and line.session != session:
                raise line.fail(f"[{line.session}] inside a block of [{session}]")
            if line.keyword == "end":
                self.take()
                return
            yield line
        raise opener.fail(f"{opener.keyword} is not closed by end")

    # --- steps -----------------------------------------------------------------

    def parse(self) -> tuple[Step, ...]:
        steps = self.steps(in_parallel=False)
        if (line := self.peek()) is not None:
            raise line.fail(f"{line.keyword} without an open block")
        return tuple(steps)

    def steps(self, *, in_parallel: bool) -> list[Step]:
        steps: list[Step] = []
        while (line := self.peek()) is not None and line.keyword not in ("end", "or:"):
            session = self.session_of(line)
            if line.keyword in ("open", "sync", "parallel:"):
                steps.append(self.structural(session, in_parallel))
                continue
            opened = self.ensure_open(line, session)
            if opened is not None:
                steps.append(opened)
            steps.append(self.step(line, session))
        return steps

    def session_of(self, line: BodyLine) -> str:
        if self.bracketed and line.session is None and line.keyword not in ("sync", "parallel:"):
            raise line.fail("this script names sessions, so every step needs a [session] prefix")
        name = line.session or DEFAULT_SESSION
        if name not in self.sessions and line.keyword not in ("sync", "parallel:"):
            self.sessions.append(name)
        return name

    def ensure_open(self, line: BodyLine, session: str) -> Open | None:
        if session in self.open_sessions:
            return None
        if session in self.closed_sessions:
            raise line.fail(f"session {session} is closed here; reopen it with [{session}] open")
        self.open_sessions.add(session)
        return Open(line.location, session, self.header.service, self.header.state, implicit=True)

    def structural(self, session: str, in_parallel: bool) -> Step:
        line = self.take()
        if line.keyword == "open":
            return self.open_step(line, session)
        if line.keyword == "sync":
            if not in_parallel:
                raise line.fail("sync is a barrier between parallel lanes; use it inside parallel:")
            return Sync(line.location)
        if in_parallel:
            raise line.fail("parallel: blocks cannot be nested")
        steps = self.steps(in_parallel=True)
        closing = self.peek()
        if closing is None or closing.keyword != "end":
            raise line.fail("parallel: is not closed by end")
        self.take()
        return Parallel(line.location, tuple(steps))

    def step(self, line: BodyLine, session: str) -> Step:
        if line.keyword in EXPECTATION_KEYWORDS:
            return self.expect_group(line, session)
        self.take()
        if line.keyword in ("starttls", "starttls or close"):
            return StartTLS(line.location, session, close_ok=line.keyword != "starttls")
        if line.keyword in ("close", "expect close"):
            self.open_sessions.discard(session)
            self.closed_sessions.add(session)
            closer = Close if line.keyword == "close" else ExpectClose
            return closer(line.location, session)
        if line.keyword in ("expect silence", "sleep"):
            seconds = self.duration(line)
            kind = ExpectSilence if line.keyword == "expect silence" else Sleep
            return kind(line.location, session, seconds)
        if line.keyword in ("C:", "C-:"):
            return Send(line.location, session, (self.chunk(line),))
        if line.keyword == "write:":
            return self.write_block(line, session)
        raise line.fail(f"{line.keyword} is only valid inside a block")

    def duration(self, line: BodyLine) -> float:
        try:
            return parse_duration(line.text)
        except ValueError as error:
            raise line.fail(f"{line.keyword}: {error}") from None

    def open_step(self, line: BodyLine, session: str) -> Open:
        options = dict(self.open_options(line))
        unknown = set(options) - {"service", "state", "account"}
        if unknown:
            raise line.fail(f"open takes service=, state= and account=; got {sorted(unknown)[0]}=")
        try:
            service = Service(options.get("service", self.header.service))
            state = SessionState(options.get("state", self.header.state))
        except ValueError as error:
            raise line.fail(f"open: {error}") from None
        account = options.get("account", "1")
        if not account.isdigit() or not 1 <= int(account) <= self.header.accounts:
            raise line.fail(f"open: account must be 1..{self.header.accounts} (see 'accounts')")
        if state is SessionState.SELECTED and service not in IMAP_SERVICES:
            raise line.fail("open: state=selected needs an IMAP service")
        if session in self.open_sessions:
            raise line.fail(f"session {session} is already open; close it first")
        self.open_sessions.add(session)
        self.closed_sessions.discard(session)
        return Open(line.location, session, service, state, int(account))

    def open_options(self, line: BodyLine) -> Iterable[tuple[str, str]]:
        for word in line.text.split():
            key, equals, value = word.partition("=")
            if not equals or not value:
                raise line.fail(f"open options are key=value, got {word!r}")
            yield key, value

    def write_block(self, opener: BodyLine, session: str) -> Send:
        chunks = []
        for line in self.block_lines(opener, session):
            if line.keyword not in ("C:", "C-:"):
                raise line.fail(f"expected C:, C-: or end inside write:, got {line.keyword}")
            chunks.append(self.chunk(self.take()))
        if not chunks:
            raise opener.fail("write: block is empty")
        return Send(opener.location, session, tuple(chunks))

    def chunk(self, line: BodyLine) -> Chunk:
        template = self.template(line, patterns=False)
        self.check_bound(line, names_used(template))
        return Chunk(line.location, template, line_end=line.keyword == "C:")

    # --- expectations ------------------------------------------------------------

    def expect_group(self, first: BodyLine, session: str) -> Expect:
        nodes: list[Node] = []
        while (line := self.peek()) is not None and line.keyword in EXPECTATION_KEYWORDS:
            if (line.session or DEFAULT_SESSION) != session:
                break
            nodes.append(self.node(nodes))
        return Expect(first.location, session, tuple(nodes))

    def node(self, previous: list[Node]) -> Node:
        line = self.take()
        if line.keyword == "...":
            if not previous or not isinstance(previous[-1], LineNode):
                raise line.fail(
                    "... must follow an S:, S-: or S~: line (it accepts the rest of that response)"
                )
            return RestNode(line.location)
        if line.keyword == "unordered:":
            return self.unordered(line)
        if line.keyword == "either:":
            return self.either(line)
        return self.line_node(line)

    def line_node(self, line: BodyLine) -> LineNode:
        kind = LineKind(line.keyword)
        template = self.template(line, patterns=True, regex=kind is LineKind.REGEX)
        for part in template:
            if isinstance(part, Name):
                if kind is LineKind.REGEX:
                    self.check_bound(line, [part.name], hint="capture with (?P<name>...) in S~:")
                self.bound.add(part.name)  # first use in an S: line captures
            else:
                self.check_bound(line, names_used((part,)))
        if kind is LineKind.REGEX:
            error = regex_error(template)
            if error is not None:
                raise line.fail(f"S~: is not a valid regular expression: {error}")
            self.bound.update(regex_group_names(template))
        return LineNode(line.location, kind, line.text, template)

    def unordered(self, opener: BodyLine) -> UnorderedNode:
        session = opener.session or DEFAULT_SESSION
        items: list[tuple[Node, ...]] = []
        allow_others = False
        for line in self.block_lines(opener, session):
            if line.keyword == "...":
                self.take()
                allow_others = True
            elif line.keyword == "response:":
                items.append(self.response_item(self.take(), session))
            elif line.keyword in ("S:", "S-:", "S~:"):
                items.append((self.line_node(self.take()),))
            else:
                raise line.fail(
                    f"expected S:, S-:, S~:, response:, ... or end inside unordered:, got {line.keyword}"
                )
        if not items and not allow_others:
            raise opener.fail("unordered: block is empty")
        return UnorderedNode(opener.location, tuple(items), allow_others)

    def response_item(self, opener: BodyLine, session: str) -> tuple[Node, ...]:
        nodes: list[Node] = []
        for line in self.block_lines(opener, session):
            if line.keyword not in ("S:", "S-:", "S~:", "..."):
                raise line.fail(
                    f"expected S:, S-:, S~:, ... or end inside response:, got {line.keyword}"
                )
            nodes.append(self.node(nodes))
        if not nodes:
            raise opener.fail("response: block is empty")
        return tuple(nodes)

    def either(self, opener: BodyLine) -> EitherNode:
        session = opener.session or DEFAULT_SESSION
        branches: list[tuple[Node, ...]] = []
        current: list[Node] = []
        started = opener  # the either: or or: line that opened the current branch
        for line in self.block_lines(opener, session):
            if line.keyword == "or:":
                self.take()
                branches.append(self.branch(current, started))
                current, started = [], line
            elif line.keyword in EXPECTATION_KEYWORDS:
                current.append(self.node(current))
            else:
                raise line.fail(
                    f"expected S:, S-:, S~:, ..., unordered:, either:, or: or end inside either:, got {line.keyword}"
                )
        branches.append(self.branch(current, started))
        if len(branches) < 2:
            raise opener.fail("either: needs at least two branches separated by or:")
        return EitherNode(opener.location, tuple(branches))

    def branch(self, nodes: list[Node], where: BodyLine) -> tuple[Node, ...]:
        if not nodes:
            raise where.fail("an either: branch is empty")
        return tuple(nodes)

    # --- text --------------------------------------------------------------------

    def template(self, line: BodyLine, *, patterns: bool, regex: bool = False) -> Template:
        try:
            return parse_template(line.text, patterns=patterns, regex=regex)
        except TemplateError as error:
            raise line.fail(f"column {line.column + error.column + 1}: {error.message}") from None
        except ValueError as error:  # EscapeError from an unclosed ${
            raise line.fail(str(error)) from None

    def check_bound(self, line: BodyLine, names: Iterable[str], hint: str = "") -> None:
        for name in names:
            if name in self.bound:
                continue
            account = _ACCOUNT_NAME.fullmatch(name)
            if account:
                raise line.fail(f"${{{name}}} needs accounts = {account.group(2)} in the header")
            extra = f"; {hint}" if hint else ""
            raise ScriptError(
                line.location,
                f"${{{name}}} is not bound here: no earlier S: line captures it and it is not "
                f"an account variable (user, password, domain, host){extra}",
            )
