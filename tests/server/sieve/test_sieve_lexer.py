"""RFC 5228 §8.1 lexical tokens: comments, strings, numbers, tags, and errors with positions."""

from __future__ import annotations

import pytest

from harness.server.sieve import SieveError, compile_script
from harness.server.sieve.lexer import Kind, tokenize


def values(text: str) -> list[object]:
    """Each token's value (numbers as int), without the END token."""
    return [t.number if t.kind is Kind.NUMBER else t.value for t in tokenize(text)[:-1]]


def error_at(text: str | bytes) -> tuple[int, int, str]:
    with pytest.raises(SieveError) as caught:
        compile_script(text)
    return caught.value.line, caught.value.column, caught.value.message


def test_punctuation_identifiers_and_tags() -> None:
    tokens = tokenize('if header :Is ["a","b"] { keep; }')
    assert [t.kind for t in tokens[:4]] == [
        Kind.IDENTIFIER,
        Kind.IDENTIFIER,
        Kind.TAG,
        Kind.PUNCTUATION,
    ]
    assert values('IF Header :Is ["a","b"]') == ["if", "header", "is", "[", "a", ",", "b", "]"]


def test_hash_and_bracket_comments_are_white_space() -> None:
    text = 'keep; # a comment "not a string"\r\n/* multi\nline * / still */ stop /*x*/;'
    assert values(text) == ["keep", ";", "stop", ";"]


def test_bracket_comments_do_not_nest() -> None:
    assert values("/* outer /* inner */ keep;") == ["keep", ";"]


def test_hash_comment_at_end_of_script_without_line_break() -> None:
    assert values("keep; # last") == ["keep", ";"]


@pytest.mark.parametrize(
    ("source", "value"),
    [
        (r'"plain"', "plain"),
        (r'"say \"hi\""', 'say "hi"'),
        (r'"back\\slash"', "back\\slash"),
        (r'"\a\b"', "ab"),  # quoted-other: the backslash just goes
        ('"two\r\nlines"', "two\r\nlines"),
        ('"two\nlines"', "two\r\nlines"),  # an LF line end becomes CRLF in the value
        ('"caf\u00e9"', "caf\u00e9"),
        ('""', ""),
    ],
)
def test_quoted_strings(source: str, value: str) -> None:
    assert values(source) == [value]


def test_multi_line_string_unstuffs_dots_and_ends_at_lone_dot() -> None:
    text = "text:\r\nfirst\r\n..dotted\r\n.not stuffed\r\n\r\n.\r\n;"
    assert values(text) == ["first\r\n.dotted\r\n.not stuffed\r\n\r\n", ";"]


def test_multi_line_string_allows_blanks_and_a_comment_after_text_colon() -> None:
    assert values("TEXT:  \t# why\nbody\n.\n") == ["body\r\n"]


def test_empty_multi_line_string() -> None:
    assert values("text:\n.\n") == [""]


@pytest.mark.parametrize(
    ("source", "number"),
    [("0", 0), ("42", 42), ("1K", 1024), ("2k", 2048), ("3M", 3 * 2**20), ("1G", 2**30)],
)
def test_numbers_with_quantifiers_are_powers_of_two(source: str, number: int) -> None:
    assert values(source) == [number]


def test_largest_number_accepted_and_one_more_refused() -> None:
    assert values(str(2**63 - 1)) == [2**63 - 1]
    assert error_at(f"if size :over {2**63} {{ keep; }}")[:2] == (1, 15)


def test_very_long_digit_string_is_a_sieve_error() -> None:
    assert "larger than" in error_at("if size :over " + "9" * 5000 + " { keep; }")[2]


def test_positions_count_lines_and_columns() -> None:
    tokens = tokenize("keep;\n  stop;")
    assert [(t.position.line, t.position.column) for t in tokens] == [
        (1, 1),
        (1, 5),
        (2, 3),
        (2, 7),
        (2, 8),
    ]


@pytest.mark.parametrize(
    ("script", "line", "column", "words"),
    [
        ('keep;\nif header :is "a" "b', 2, 19, "never closed"),
        ("keep;\n  /* open", 2, 3, "never closed"),
        ("text:\nno end\n", 1, 1, "never ended"),
        ("text: x\n.\n", 1, 7, "end of the line"),
        ("keep;\n  @", 2, 3, "unexpected character"),
        ("keep; : ;", 1, 7, "tag name"),
        ("keep;\x00", 1, 6, "NUL"),
        ("keep;\rstop;", 1, 6, "CR"),
        ('"a\\\nb"', 1, 3, "backslash"),
        ("keep;\n\ud800", 2, 1, "surrogate"),
    ],
)
def test_lexical_errors_say_where(script: str, line: int, column: int, words: str) -> None:
    assert error_at(script)[:2] == (line, column)
    assert words in error_at(script)[2]


def test_invalid_utf8_bytes_are_located() -> None:
    line, column, message = error_at(b"keep;\n  \xff;")
    assert (line, column) == (2, 3)
    assert "UTF-8" in message


def test_utf8_bytes_compile_like_text() -> None:
    assert compile_script("keep;\n# caf\u00e9\n".encode()) == compile_script("keep;")


def test_error_text_carries_line_and_column() -> None:
    with pytest.raises(SieveError, match=r"^3:1: unexpected character '@'$"):
        compile_script("\n\n@")
