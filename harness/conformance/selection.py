"""Which scripts a run takes: suite paths, then a ``-k`` expression.

``collect_scripts(paths)`` parses every ``.mhs`` script and every ``.toml``
message-case file (``message_case``: one case per ``[[cases]]`` entry) under
each folder (or each file given), names each by its path relative to its
suite root (the folder given, or the nearest ``suites`` folder above a
file), and refuses a case id used twice. Every broken file is reported, not
only the first.

``-k`` works like pytest's: words matched case-insensitively as substrings
of the case id, file and title, combined with ``and``, ``or``, ``not`` and
parentheses: ``-k "smtp and not starttls"``, ``-k POP3-LIST``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from harness.conformance.message_case import SUFFIX as CASE_SUFFIX
from harness.conformance.message_case import Case, parse_case_file
from harness.conformance.model import ScriptError
from harness.conformance.parser import SUFFIX, parse_file

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")


class SuiteError(ValueError):
    """Suite paths or scripts that cannot be run; every problem on its own line."""


def collect_scripts(paths: Iterable[Path]) -> list[Case]:
    scripts: list[Case] = []
    problems: list[str] = []
    for path in paths:
        if not path.exists():
            problems.append(f"{path}: no such file or folder")
            continue
        root = path if path.is_dir() else suite_root(path)
        for file in _case_files(path):
            try:
                if file.suffix == CASE_SUFFIX:
                    scripts += parse_case_file(file, root=root)
                else:
                    scripts.append(parse_file(file, root=root))
            except ScriptError as error:
                problems.append(str(error))
    problems += _duplicate_ids(scripts)
    if problems:
        raise SuiteError("\n".join(problems))
    return scripts


def suite_root(file: Path) -> Path:
    """The folder script paths are named from: the nearest ``suites`` above the file."""
    for parent in file.resolve().parents:
        if parent.name == "suites":
            return parent
    return file.resolve().parent


def _case_files(path: Path) -> list[Path]:
    """The scripts and case files of a folder, in path order; a file given is taken as is."""
    if not path.is_dir():
        return [path.resolve()]
    return sorted([*path.rglob(f"*{SUFFIX}"), *path.rglob(f"*{CASE_SUFFIX}")])


def _duplicate_ids(scripts: list[Case]) -> list[str]:
    seen: dict[str, str] = {}
    problems = []
    for script in scripts:
        if script.id in seen and seen[script.id] != script.path:
            problems.append(f"{script.path}:1: id {script.id} is also used by {seen[script.id]}")
        seen.setdefault(script.id, script.path)
    return problems


def select(scripts: list[Case], expression: str | None) -> list[Case]:
    if not expression:
        return scripts
    matches = compile_keyword_expression(expression)
    return [script for script in scripts if matches(_haystack(script))]


def _haystack(script: Case) -> str:
    return f"{script.id} {script.path} {script.header.title}".lower()


def compile_keyword_expression(expression: str) -> Callable[[str], bool]:
    """``a and (b or not c)`` -> a predicate over a lower-cased text."""
    tokens = _TOKEN.findall(expression)
    parser = _KeywordParser(tokens, expression)
    predicate = parser.disjunction()
    if parser.position != len(tokens):
        raise SuiteError(f"-k {expression!r}: unexpected {tokens[parser.position]!r}")
    return predicate


class _KeywordParser:
    """expr = term *("or" term); term = factor *("and" factor); factor = "not" factor / "(" expr ")" / word"""

    def __init__(self, tokens: list[str], source: str) -> None:
        self.tokens = tokens
        self.source = source
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise SuiteError(f"-k {self.source!r}: the expression ends too early")
        self.position += 1
        return token

    def disjunction(self) -> Callable[[str], bool]:
        parts = [self.conjunction()]
        while self.peek() == "or":
            self.take()
            parts.append(self.conjunction())
        return lambda text: any(part(text) for part in parts)

    def conjunction(self) -> Callable[[str], bool]:
        parts = [self.factor()]
        while self.peek() == "and":
            self.take()
            parts.append(self.factor())
        return lambda text: all(part(text) for part in parts)

    def factor(self) -> Callable[[str], bool]:
        token = self.take()
        if token == "not":
            inner = self.factor()
            return lambda text: not inner(text)
        if token == "(":
            inner = self.disjunction()
            if self.take() != ")":
                raise SuiteError(f"-k {self.source!r}: a '(' is not closed")
            return inner
        if token in (")", "and", "or"):
            raise SuiteError(f"-k {self.source!r}: unexpected {token!r}")
        word = token.lower()
        return lambda text: word in text
