"""Properties: hostile scripts and messages only ever raise SieveError, strings round-trip,
and the wildcard matcher agrees with a regular-expression oracle.
"""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from harness.server.sieve import Actions, Envelope, Script, SieveError, compile_script
from harness.server.sieve.lexer import Kind, tokenize
from harness.server.sieve.matching import compile_pattern, wildcard_match
from harness.server.sieve.nodes import Comparator

SIEVE_WORDS = [
    "require", "if", "elsif", "else", "stop", "keep", "discard", "fileinto", "setflag",
    "addflag", "removeflag", "header", "address", "envelope", "size", "exists", "allof",
    "anyof", "not", "true", "false", "hasflag", ":is", ":contains", ":matches", ":all",
    ":localpart", ":domain", ":over", ":under", ":comparator", ":flags", '"fileinto"',
    '"envelope"', '"imap4flags"', '"i;octet"', '"from"', '"to"', '"subject"', '"x*?"',
    '["a", "b"]', "[", "]", "(", ")", "{", "}", ";", ",", "1K", "0", "text:\n.\n", "#c\n",
    "/* c */", "\n", '"\\\\Seen"',
]  # fmt: skip


def compiles_or_sieve_error(source: str | bytes) -> Script | None:
    try:
        return compile_script(source)
    except SieveError as error:
        assert error.line >= 1 and error.column >= 1
        assert str(error).startswith(f"{error.line}:{error.column}: ")
        return None


@settings(max_examples=500)
@given(st.text(max_size=200))
def test_arbitrary_text_only_raises_sieve_error(text: str) -> None:
    compiles_or_sieve_error(text)


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_only_raise_sieve_error(data: bytes) -> None:
    compiles_or_sieve_error(data)


@settings(max_examples=600)
@given(st.lists(st.sampled_from(SIEVE_WORDS), max_size=40))
@example(["if", "not", "true", "{", "}"])
@example(["require", '"fileinto"', ";", "fileinto", '"from"', ";"])
def test_token_soup_only_raises_sieve_error_and_what_compiles_runs(words: list[str]) -> None:
    script = compiles_or_sieve_error(" ".join(words))
    if script is not None:
        actions = script.evaluate(b"From: a@b\r\nSubject: x\r\n\r\n", Envelope("", "c@d"))
        assert isinstance(actions, Actions)


LEAF_TESTS = st.sampled_from(
    [
        "true", "false", 'header :contains "subject" "x"', 'address :domain :is "from" "b"',
        'envelope :localpart :matches "to" "c*"', "size :under 100", 'exists ["from", "date"]',
        'hasflag :contains "fl"',
    ]
)  # fmt: skip
TESTS = st.recursive(
    LEAF_TESTS,
    lambda inner: st.one_of(
        inner.map(lambda test: f"not {test}"),
        st.lists(inner, min_size=1, max_size=3).map(lambda ts: f"allof ({', '.join(ts)})"),
        st.lists(inner, min_size=1, max_size=3).map(lambda ts: f"anyof ({', '.join(ts)})"),
    ),
    max_leaves=6,
)
ACTIONS = st.sampled_from(
    ["keep;", "discard;", "stop;", 'fileinto "A";', 'fileinto "inbox";', 'addflag "fl";',
     'removeflag "fl";', 'setflag "\\\\Seen";', 'keep :flags "k";', 'fileinto :flags "f" "B";']
)  # fmt: skip
COMMANDS = st.recursive(
    ACTIONS,
    lambda block: st.tuples(TESTS, st.lists(block, max_size=3), st.lists(block, max_size=2)).map(
        lambda parts: f"if {parts[0]} {{ {' '.join(parts[1])} }} else {{ {' '.join(parts[2])} }}"
    ),
    max_leaves=8,
)


@settings(max_examples=150)
@given(st.lists(COMMANDS, max_size=5))
def test_generated_scripts_compile_and_keep_unless_they_discard(commands: list[str]) -> None:
    body = " ".join(commands)
    script = compile_script(f'require ["fileinto", "envelope", "imap4flags"]; {body}')
    actions = script.evaluate(b"From: a@b\r\nSubject: xyz\r\n\r\n", Envelope("", "cat@d"))
    mailboxes = [delivery.mailbox for delivery in actions.deliver_to]
    assert len(set(mailboxes)) == len(mailboxes)
    assert set(mailboxes) <= {"INBOX", "A", "B"}
    if "discard" not in body:
        assert mailboxes  # nothing but discard cancels the implicit keep without storing
    if actions.implicit_keep:
        assert mailboxes == ["INBOX"]


EVERY_TEST = compile_script(
    """require ["fileinto", "envelope", "imap4flags"];
    if anyof (header :matches ["subject", "x-a"] "*a?b*",
              address :domain :contains ["from", "to", "cc", "sender"] "ex",
              address :localpart :is "reply-to" "",
              envelope :all :matches ["from", "to"] "*@*",
              exists "date", size :over 1K, hasflag "x") {
        fileinto :flags "\\\\Seen" "Hit";
    }
    """
)


@settings(max_examples=500)
@given(st.binary(max_size=400))
@example(b"From: <\r\n\r\n")
@example(b"To: )=,\t.b) \xc3B(Qb.?=\r\nSubject: =?utf-8?b?!!?=\r\n\r\n")
@example(b"Subject: =?x-unknown?q?abc?= =?utf-8?q?=FF?=\r\n\r\n")
def test_any_message_bytes_evaluate_to_actions(raw: bytes) -> None:
    actions = EVERY_TEST.evaluate(raw, Envelope("<>", "me@example.com"))
    assert [d.mailbox for d in actions.deliver_to] in (["Hit"], ["INBOX"])


def field_text() -> st.SearchStrategy[str]:
    return st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00\r\n"))


@given(field_text())
def test_quoted_strings_round_trip(value: str) -> None:
    quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    (token, end) = tokenize(quoted)
    assert (token.kind, token.value, end.kind) == (Kind.STRING, value, Kind.END)


@given(st.lists(field_text(), max_size=6))
def test_multi_line_strings_round_trip(lines: list[str]) -> None:
    stuffed = "".join(("." + line if line.startswith(".") else line) + "\r\n" for line in lines)
    (token, end) = tokenize("text:\r\n" + stuffed + ".\r\n")
    assert token.value == "".join(line + "\r\n" for line in lines)
    assert end.kind is Kind.END


def oracle(pattern: str, value: bytes) -> bool:
    """The RFC 5228 §2.7.1 wildcard rules as a regular expression over octets."""
    parts, characters = [], iter(pattern)
    for character in characters:
        if character == "*":
            parts.append(b".*")
        elif character == "?":
            parts.append(b".")
        else:
            literal = next(characters, "\\") if character == "\\" else character
            parts.append(re.escape(literal.encode()))
    return re.fullmatch(b"".join(parts), value, re.DOTALL) is not None


@settings(max_examples=1000)
@given(st.text("ab*?\\é", max_size=12), st.text("ab*?\\é", max_size=12))
def test_wildcard_matcher_agrees_with_a_regex_oracle(pattern: str, value: str) -> None:
    octets = value.encode()
    assert wildcard_match(compile_pattern(pattern, Comparator.OCTET), octets) is oracle(
        pattern, octets
    )
