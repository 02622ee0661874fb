"""RFC 5228 §8.1 lexical tokens: the script text as a list of tokens.

RFC 5228 §2.7.2: "All Sieve scripts are represented in UTF-8", so the lexer
works on decoded text. The grammar ends lines with CRLF; scripts edited on
Unix end them with LF, so both are accepted. Wherever a line break becomes
part of a string value it is CRLF, the grammar's form. A bare CR and a NUL
match no production and are rejected wherever they appear.

Identifiers, tags and the "text:" keyword are case-insensitive (ABNF quoted
strings are, RFC 5234 §2.3); their ``value`` is kept lower-cased.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from harness.server.sieve.errors import LineIndex, Position, SieveError

# RFC 5228 §2.4.1: "Implementations MUST support integer values in the
# inclusive range zero to 2,147,483,647 (2^31 - 1), but MAY support larger
# values." Larger values are fine up to what a 64-bit store column holds.
MAX_NUMBER = 2**63 - 1
_MAX_DIGITS = 19

# QUANTIFIER = "K" / "M" / "G" ; powers of two (RFC 5228 §2.4.1)
_QUANTIFIERS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"([0-9]+)([KMGkmg]?)")
_QUOTED_RUN = re.compile(r'[^"\\\r\n]+')
_TEXT_KEYWORD = "text:"


class Kind(Enum):
    IDENTIFIER = "identifier"
    TAG = "tag"
    STRING = "string"
    NUMBER = "number"
    PUNCTUATION = "punctuation"
    END = "end of script"


_PUNCTUATION = frozenset("{}[](),;")
_STRAY_NAMES = {"\x00": "a NUL character", "\r": "a CR not followed by LF"}


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    value: str  # identifier and tag names lower-cased; a string's value; a punctuation mark
    number: int  # the value of a NUMBER token, 0 otherwise
    position: Position

    def describe(self) -> str:
        """How an error message names this token."""
        if self.kind is Kind.IDENTIFIER:
            return f"identifier {self.value!r}"
        if self.kind is Kind.TAG:
            return f"tag ':{self.value}'"
        if self.kind is Kind.NUMBER:
            return f"number {self.number}"
        if self.kind is Kind.PUNCTUATION:
            return repr(self.value)
        return self.kind.value


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with one END token."""
    return _Lexer(text).tokens()


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0
        self.lines = LineIndex(text)

    def error(self, message: str, offset: int) -> SieveError:
        return SieveError(message, self.lines.position(offset))

    def token(self, kind: Kind, value: str, start: int, number: int = 0) -> Token:
        return Token(kind, value, number, self.lines.position(start))

    def tokens(self) -> list[Token]:
        self.reject_stray_octets()
        tokens: list[Token] = []
        while True:
            self.skip_white_space()
            if self.offset >= len(self.text):
                tokens.append(self.token(Kind.END, "", self.offset))
                return tokens
            tokens.append(self.next_token())

    def reject_stray_octets(self) -> None:
        # octet-not-crlf and friends exclude NUL; CR appears only in CRLF; a
        # lone surrogate is no UTF-8 text at all.
        for match in re.finditer("\x00|\r(?!\n)|[\ud800-\udfff]", self.text):
            what = _STRAY_NAMES.get(match.group(), "a lone surrogate")
            raise self.error(f"{what} is not allowed in a script", match.start())

    def next_token(self) -> Token:
        start = self.offset
        char = self.text[start]
        if char in _PUNCTUATION:
            self.offset += 1
            return self.token(Kind.PUNCTUATION, char, start)
        if char == '"':
            return self.token(Kind.STRING, self.quoted_string(), start)
        if char == ":":
            return self.token(Kind.TAG, self.tag(), start)
        if self.text[start : start + len(_TEXT_KEYWORD)].lower() == _TEXT_KEYWORD:
            return self.token(Kind.STRING, self.multi_line(), start)
        if _IDENTIFIER.match(self.text, start):
            return self.token(Kind.IDENTIFIER, self.identifier(), start)
        if char.isdigit() and char.isascii():
            return self.token(Kind.NUMBER, "", start, self.number())
        raise self.error(f"unexpected character {char!r}", start)

    # white-space = 1*(SP / CRLF / HTAB) / comment
    # comment     = bracket-comment / hash-comment
    def skip_white_space(self) -> None:
        text = self.text
        while self.offset < len(text):
            char = text[self.offset]
            if char in " \t\r\n":
                self.offset += 1
            elif char == "#":
                self.skip_hash_comment()
            elif text.startswith("/*", self.offset):
                self.skip_bracket_comment()
            else:
                return

    # hash-comment = "#" *octet-not-crlf CRLF
    def skip_hash_comment(self) -> None:
        end = self.text.find("\n", self.offset)
        self.offset = len(self.text) if end < 0 else end + 1

    # bracket-comment = "/*" *not-star 1*STAR *(not-star-slash *not-star 1*STAR) "/"
    # (that is: up to the first "*/"; bracket comments do not nest)
    def skip_bracket_comment(self) -> None:
        end = self.text.find("*/", self.offset + 2)
        if end < 0:
            raise self.error("comment '/*' is never closed with '*/'", self.offset)
        self.offset = end + 2

    # identifier = (ALPHA / "_") *(ALPHA / DIGIT / "_")
    def identifier(self) -> str:
        match = _IDENTIFIER.match(self.text, self.offset)
        assert match is not None  # next_token checked
        self.offset = match.end()
        return match.group().lower()

    # tag = ":" identifier
    def tag(self) -> str:
        match = _IDENTIFIER.match(self.text, self.offset + 1)
        if match is None:
            raise self.error("expected a tag name after ':'", self.offset)
        self.offset = match.end()
        return match.group().lower()

    # number = 1*DIGIT [ QUANTIFIER ]
    def number(self) -> int:
        match = _NUMBER.match(self.text, self.offset)
        assert match is not None  # next_token checked
        digits, quantifier = match.groups()
        value = int(digits) * _QUANTIFIERS[quantifier.lower()] if len(digits) <= _MAX_DIGITS else -1
        if not 0 <= value <= MAX_NUMBER:
            raise self.error(f"number {match.group()} is larger than {MAX_NUMBER}", self.offset)
        self.offset = match.end()
        return value

    # quoted-string  = DQUOTE quoted-text DQUOTE
    # quoted-text    = *(quoted-safe / quoted-special / quoted-other)
    # quoted-safe    = CRLF / octet-not-qspecial
    # quoted-special = "\" (DQUOTE / "\")
    # quoted-other   = "\" octet-not-qspecial  ; represents just the octet
    def quoted_string(self) -> str:
        start, text = self.offset, self.text
        offset, parts = start + 1, list[str]()
        while offset < len(text):
            char = text[offset]
            if char == '"':
                self.offset = offset + 1
                return "".join(parts)
            if char == "\\":
                escaped = text[offset + 1 : offset + 2]
                if escaped in ("", "\r", "\n"):
                    raise self.error("a backslash must not end a line in a string", offset)
                parts.append(escaped)
                offset += 2
            elif char in "\r\n":
                parts.append("\r\n")
                offset += 2 if char == "\r" else 1
            else:
                run = _QUOTED_RUN.match(text, offset)
                assert run is not None  # char is none of the characters it excludes
                parts.append(run.group())
                offset = run.end()
        raise self.error("string is never closed with '\"'", start)

    # multi-line          = "text:" *(SP / HTAB) (hash-comment / CRLF)
    #                       *(multiline-literal / multiline-dotstart)
    #                       "." CRLF
    # multiline-literal   = [ octet-not-period *octet-not-crlf ] CRLF
    # multiline-dotstart  = "." 1*octet-not-crlf CRLF
    #     ; A line containing only "." ends the multi-line.
    #     ; Remove a leading '.' if followed by another '.'.
    def multi_line(self) -> str:
        start = self.offset
        self.offset = start + len(_TEXT_KEYWORD)
        while self.text.startswith((" ", "\t"), self.offset):
            self.offset += 1
        if self.text.startswith("#", self.offset):
            self.skip_hash_comment()
        elif self.text.startswith(("\r\n", "\n"), self.offset):
            self.offset = self.text.index("\n", self.offset) + 1
        else:
            raise self.error("'text:' must be followed by the end of the line", self.offset)
        lines: list[str] = []
        while (line := self.next_line()) is not None:
            if line == ".":
                return "".join(lines)
            lines.append((line[1:] if line.startswith("..") else line) + "\r\n")
        raise self.error("multi-line string is never ended by a line holding only '.'", start)

    def next_line(self) -> str | None:
        """The next line without its line break; None at the end of the script."""
        if self.offset >= len(self.text):
            return None
        end = self.text.find("\n", self.offset)
        end = len(self.text) if end < 0 else end
        line = self.text[self.offset : end].removesuffix("\r")
        self.offset = end + 1
        return line
