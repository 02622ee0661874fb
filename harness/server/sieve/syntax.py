"""RFC 5228 §8.2 grammar: tokens into a generic tree of commands and tests.

The grammar knows no command names: ``keep``, ``if`` and ``header`` are all just
identifiers with arguments. What each command and test accepts is checked in
``compiler``; this module only builds the tree, so each error here is about
shape ("expected ';'"), never about meaning.

Nesting is bounded (``MAX_NESTING``) so that a hostile script cannot exhaust
the interpreter's stack at compile or evaluation time.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.server.sieve.errors import Position, SieveError
from harness.server.sieve.lexer import Kind, Token, tokenize

MAX_NESTING = 32


@dataclass(frozen=True, slots=True)
class StringList:
    """A string-list argument; ``bracketed`` is False for a lone string."""

    values: tuple[str, ...]
    bracketed: bool
    position: Position


@dataclass(frozen=True, slots=True)
class NumberArgument:
    value: int
    position: Position


@dataclass(frozen=True, slots=True)
class TagArgument:
    name: str  # lower-cased, without the colon
    position: Position


Argument = StringList | NumberArgument | TagArgument


@dataclass(frozen=True, slots=True)
class TestNode:
    """``test = identifier arguments``; ``tests`` holds a nested test or test-list."""

    name: str
    arguments: tuple[Argument, ...]
    tests: tuple[TestNode, ...]
    test_list: bool  # the tests came in "( ... )"
    position: Position


@dataclass(frozen=True, slots=True)
class CommandNode:
    """``command = identifier arguments (";" / block)``; ``block`` None after ";"."""

    name: str
    arguments: tuple[Argument, ...]
    tests: tuple[TestNode, ...]
    test_list: bool
    block: tuple[CommandNode, ...] | None
    position: Position


def parse(text: str) -> tuple[CommandNode, ...]:
    """``start = commands``: the whole script as a tree."""
    parser = _Parser(tokenize(text))
    commands = parser.commands(depth=0)
    parser.expect_kind(Kind.END, "a command")
    return commands


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, punctuation: str) -> bool:
        return self.current.kind is Kind.PUNCTUATION and self.current.value == punctuation

    def expected(self, what: str) -> SieveError:
        return SieveError(
            f"expected {what}, found {self.current.describe()}", self.current.position
        )

    def expect(self, punctuation: str, what: str) -> Token:
        if not self.at(punctuation):
            raise self.expected(what)
        return self.advance()

    def expect_kind(self, kind: Kind, what: str) -> Token:
        if self.current.kind is not kind:
            raise self.expected(what)
        return self.advance()

    @staticmethod
    def check_depth(depth: int, token: Token) -> None:
        if depth > MAX_NESTING:
            raise SieveError(f"nesting deeper than {MAX_NESTING} levels", token.position)

    # commands = *command
    def commands(self, depth: int) -> tuple[CommandNode, ...]:
        commands = []
        while self.current.kind is Kind.IDENTIFIER:
            commands.append(self.command(depth))
        return tuple(commands)

    # command = identifier arguments (";" / block)
    # block   = "{" commands "}"
    def command(self, depth: int) -> CommandNode:
        name = self.advance()
        arguments, tests, test_list = self.arguments(depth)
        block = None
        if self.at("{"):
            self.check_depth(depth + 1, self.advance())
            block = self.commands(depth + 1)
            self.expect("}", f"a command or '}}' to close the block of {name.value}")
        elif not self.at(";"):
            raise self.expected(f"';' or '{{' after {name.value}")
        else:
            self.advance()
        return CommandNode(name.value, arguments, tests, test_list, block, name.position)

    # arguments = *argument [ test / test-list ]
    # argument  = string-list / number / tag
    def arguments(self, depth: int) -> tuple[tuple[Argument, ...], tuple[TestNode, ...], bool]:
        arguments: list[Argument] = []
        while (argument := self.argument()) is not None:
            arguments.append(argument)
        if self.current.kind is Kind.IDENTIFIER:
            return tuple(arguments), (self.test(depth + 1),), False
        if self.at("("):
            return tuple(arguments), self.test_list(depth + 1), True
        return tuple(arguments), (), False

    def argument(self) -> Argument | None:
        token = self.current
        if token.kind is Kind.STRING or self.at("["):
            return self.string_list()
        if token.kind is Kind.NUMBER:
            self.advance()
            return NumberArgument(token.number, token.position)
        if token.kind is Kind.TAG:
            self.advance()
            return TagArgument(token.value, token.position)
        return None

    # string-list = "[" string *("," string) "]" / string
    def string_list(self) -> StringList:
        start = self.current
        if start.kind is Kind.STRING:
            self.advance()
            return StringList((start.value,), False, start.position)
        self.advance()
        values = [self.expect_kind(Kind.STRING, "a string in the list").value]
        while self.at(","):
            self.advance()
            values.append(self.expect_kind(Kind.STRING, "a string after ','").value)
        self.expect("]", "',' or ']' in the string list")
        return StringList(tuple(values), True, start.position)

    # test = identifier arguments
    def test(self, depth: int) -> TestNode:
        name = self.expect_kind(Kind.IDENTIFIER, "a test")
        self.check_depth(depth, name)
        arguments, tests, test_list = self.arguments(depth)
        return TestNode(name.value, arguments, tests, test_list, name.position)

    # test-list = "(" test *("," test) ")"
    def test_list(self, depth: int) -> tuple[TestNode, ...]:
        self.check_depth(depth, self.advance())
        tests = [self.test(depth)]
        while self.at(","):
            self.advance()
            tests.append(self.test(depth))
        self.expect(")", "',' or ')' in the test list")
        return tuple(tests)
