"""The text of C: and S: lines: literal bytes plus ``${...}`` substitutions.

Grammar (suites/README.md, "Text and escapes"):

    text   = *(literal-char / "${" subst "}")
    subst  = "*"                          ; S: any bytes within the line
           / literal-escape               ; CR LF CRLF NUL TAB SP $, 0x.., "str" * N
           / option 1*("|" option)        ; S: one of these literal texts
           / name                         ; variable, or a capture in S: lines
           / sum                          ; expression
    sum    = product *("+" product)
    product = atom ["*" count]
    atom   = string / hex / name / name "(" sum *("," sum) ")"

A Template is a tuple of parts. Sending evaluates it to bytes (``render``);
matching turns it into a regular expression (harness/conformance/matcher.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from harness.transcript.escapes import (
    NAMED_BYTES,
    EscapeError,
    decode_string_literal,
    find_closing_brace,
    literal_bytes,
)

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOKEN = re.compile(
    r'\s*(?:(?P<string>"(?:[^"\\]|\\["\\])*")|(?P<hex>0x(?:[0-9A-Fa-f]{2})+)'
    r"|(?P<int>\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[+*(),]))"
)


class TemplateError(EscapeError):
    """Bad ``${...}``; ``column`` is 0-based within the line's text."""


class UnboundName(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"${{{name}}} is not bound")
        self.name = name


# --- expressions --------------------------------------------------------------


@dataclass(frozen=True)
class Bytes:
    data: bytes


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class Repeat:
    expr: Expr
    count: int


@dataclass(frozen=True)
class Concat:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Expr, ...]


Expr = Bytes | Ref | Repeat | Concat | Call


def _unbase64(data: bytes) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except binascii.Error as error:
        raise ValueError(f"unbase64: not base64: {data!r}") from error


FUNCTIONS: dict[str, tuple[int, Callable[..., bytes]]] = {
    "base64": (1, lambda data: base64.b64encode(data)),
    "unbase64": (1, _unbase64),
    "md5hex": (1, lambda data: hashlib.md5(data).hexdigest().encode()),
    "hmac_md5hex": (2, lambda key, msg: hmac.new(key, msg, "md5").hexdigest().encode()),
}


def evaluate(expr: Expr, variables: Mapping[str, bytes]) -> bytes:
    """The bytes of an expression; raises UnboundName or ValueError (bad base64)."""
    match expr:
        case Bytes(data):
            return data
        case Ref(name):
            if name not in variables:
                raise UnboundName(name)
            return variables[name]
        case Repeat(inner, count):
            return evaluate(inner, variables) * count
        case Concat(items):
            return b"".join(evaluate(item, variables) for item in items)
        case Call(function, args):
            return FUNCTIONS[function][1](*(evaluate(arg, variables) for arg in args))
    raise TypeError(f"not an expression: {expr!r}")


def expression_names(expr: Expr) -> Iterator[str]:
    match expr:
        case Ref(name):
            yield name
        case Repeat(inner, _):
            yield from expression_names(inner)
        case Concat(items) | Call(_, items):
            for item in items:
                yield from expression_names(item)


# --- template parts -----------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    data: bytes  # in S~: lines, regex source


@dataclass(frozen=True)
class Wildcard:
    pass


@dataclass(frozen=True)
class Choice:
    options: tuple[bytes, ...]


@dataclass(frozen=True)
class Name:
    """``${name}``: a variable; in S: lines an unbound name is a capture."""

    name: str


@dataclass(frozen=True)
class Computed:
    expr: Expr


Part = Literal | Wildcard | Choice | Name | Computed
Template = tuple[Part, ...]


def parse_template(text: str, *, patterns: bool, regex: bool = False) -> Template:
    """Parse one line's text. ``patterns`` allows ``${*}`` and ``${a|b}`` (S: lines);
    ``regex`` keeps literal text as regex source (S~: lines)."""
    parts: list[Part] = []
    i = 0
    while i < len(text):
        start = text.find("${", i)
        if start < 0:
            parts.append(Literal(text[i:].encode("utf-8")))
            break
        if start > i:
            parts.append(Literal(text[i:start].encode("utf-8")))
        end = find_closing_brace(text, start + 2)
        parts.append(_parse_substitution(text[start + 2 : end], start, patterns, regex))
        i = end + 1
    return _merge_literals(parts)


def _merge_literals(parts: list[Part]) -> Template:
    merged: list[Part] = []
    for part in parts:
        previous = merged[-1] if merged else None
        if isinstance(part, Literal) and isinstance(previous, Literal):
            merged[-1] = Literal(previous.data + part.data)
        else:
            merged.append(part)
    return tuple(merged)


def _parse_substitution(body: str, column: int, patterns: bool, regex: bool) -> Part:
    stripped = body.strip()
    literal = literal_bytes(stripped)
    if literal is not None:
        # In a regex line the bytes must be escaped, so they stay a computed value.
        return Computed(Bytes(literal)) if regex else Literal(literal)
    if stripped == "*" or _has_top_level_bar(stripped):
        if not patterns or regex:
            where = "S~: lines (use regex syntax)" if regex else "C: lines"
            raise TemplateError(column, f"'${{{body}}}' cannot be used in {where}")
        if stripped == "*":
            return Wildcard()
        return Choice(tuple(option.encode("utf-8") for option in stripped.split("|")))
    if IDENTIFIER.fullmatch(stripped):
        return Name(stripped)
    return Computed(_ExpressionParser(stripped, column).parse())


def _has_top_level_bar(body: str) -> bool:
    return "|" in re.sub(r'"(?:[^"\\]|\\["\\])*"', "", body)


class _ExpressionParser:
    def __init__(self, source: str, column: int) -> None:
        self.column = column
        self.source = source
        self.tokens = self._tokenize(source)
        self.position = 0

    def _tokenize(self, source: str) -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = []
        i = 0
        while i < len(source):
            match = _TOKEN.match(source, i)
            if match is None or match.end() == i:
                if source[i:].strip() == "":
                    break
                raise self.error(f"unexpected {source[i:].strip()[:10]!r}")
            kind = match.lastgroup or "op"
            tokens.append((kind, match.group(kind)))
            i = match.end()
        return tokens

    def error(self, message: str) -> TemplateError:
        return TemplateError(self.column, f"in '${{{self.source}}}': {message}")

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            found = token[1] if token else "the end"
            raise self.error(f"expected {value or 'a value'}, found {found!r}")
        self.position += 1
        return token

    def parse(self) -> Expr:
        expr = self.sum()
        if self.peek() is not None:
            raise self.error(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return expr

    def sum(self) -> Expr:
        items = [self.product()]
        while self.peek() == ("op", "+"):
            self.take("+")
            items.append(self.product())
        return items[0] if len(items) == 1 else Concat(tuple(items))

    def product(self) -> Expr:
        atom = self.atom()
        if self.peek() != ("op", "*"):
            return atom
        self.take("*")
        kind, value = self.take()
        if kind != "int":
            raise self.error(f"expected a repeat count after '*', found {value!r}")
        return Repeat(atom, int(value))

    def atom(self) -> Expr:
        kind, value = self.take()
        if kind == "string":
            return Bytes(decode_string_literal(value[1:-1]))
        if kind == "hex":
            return Bytes(bytes.fromhex(value[2:]))
        if kind != "name":
            raise self.error(f"expected a string, a name or a call, found {value!r}")
        if self.peek() == ("op", "("):
            return self.call(value)
        return Bytes(NAMED_BYTES[value]) if value in NAMED_BYTES else Ref(value)

    def call(self, function: str) -> Expr:
        if function not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS))
            raise self.error(f"unknown function {function!r} (known: {known})")
        self.take("(")
        args = [self.sum()]
        while self.peek() == ("op", ","):
            self.take(",")
            args.append(self.sum())
        self.take(")")
        arity = FUNCTIONS[function][0]
        if len(args) != arity:
            raise self.error(f"{function}() takes {arity} argument(s), got {len(args)}")
        return Call(function, tuple(args))


# --- using templates ----------------------------------------------------------


def render(template: Template, variables: Mapping[str, bytes]) -> bytes:
    """The bytes a C: line sends."""
    out = bytearray()
    for part in template:
        match part:
            case Literal(data):
                out += data
            case Name(name):
                out += evaluate(Ref(name), variables)
            case Computed(expr):
                out += evaluate(expr, variables)
            case _:
                raise TypeError(f"{part!r} has no bytes to send")
    return bytes(out)


def names_used(template: Template) -> Iterator[str]:
    """Every name the template refers to, in order (captures included)."""
    for part in template:
        if isinstance(part, Name):
            yield part.name
        elif isinstance(part, Computed):
            yield from expression_names(part.expr)


def regex_group_names(template: Template) -> Iterator[str]:
    """Names bound by ``(?P<name>...)`` groups in an S~: line's regex source."""
    for part in template:
        if isinstance(part, Literal):
            yield from (m.decode() for m in re.findall(rb"\(\?P<([A-Za-z_]\w*)>", part.data))
