"""RFC 5228 §8.2 grammar and the compile-time checks: require, signatures, positions."""

from __future__ import annotations

import pytest

from harness.server.sieve import SieveError, compile_script
from harness.server.sieve.nodes import (
    AddressPart,
    AddressTest,
    AllOf,
    Comparator,
    Constant,
    Discard,
    FileInto,
    HeaderTest,
    If,
    Keep,
    Match,
    MatchType,
    Not,
    SizeTest,
    Stop,
)
from harness.server.sieve.syntax import MAX_NESTING


def error_of(script: str) -> SieveError:
    with pytest.raises(SieveError) as caught:
        compile_script(script)
    return caught.value


def where(script: str) -> tuple[int, int]:
    error = error_of(script)
    return error.line, error.column


def test_empty_script_compiles_to_nothing() -> None:
    script = compile_script("  # nothing but a comment\n")
    assert script.commands == ()
    assert script.capabilities == frozenset()


def test_if_elsif_else_chain_becomes_one_node() -> None:
    script = compile_script(
        "if true { stop; } elsif false { discard; } elsif true { keep; } else { keep; }"
    )
    (chain,) = script.commands
    assert chain == If(
        (
            (Constant(True), (Stop(),)),
            (Constant(False), (Discard(),)),
            (Constant(True), (Keep(None),)),
        ),
        (Keep(None),),
    )


def test_two_ifs_in_a_row_are_two_chains() -> None:
    script = compile_script("if true { keep; } if false { discard; } else { stop; }")
    assert len(script.commands) == 2


def test_defaults_are_is_and_ascii_casemap_and_all() -> None:
    script = compile_script('if address "from" "a@b" { keep; }')
    (chain,) = script.commands
    assert chain.branches[0][0] == AddressTest(  # type: ignore[union-attr]
        ("from",), AddressPart.ALL, Match(MatchType.IS, Comparator.ASCII_CASEMAP, ("a@b",))
    )


def test_tagged_arguments_in_any_order_and_any_case() -> None:
    script = compile_script(
        'if header :COMPARATOR "i;octet" :Contains ["To", "Cc"] ["x", "y"] { keep; }'
    )
    (chain,) = script.commands
    assert chain.branches[0][0] == HeaderTest(  # type: ignore[union-attr]
        ("To", "Cc"), Match(MatchType.CONTAINS, Comparator.OCTET, ("x", "y"))
    )


def test_nested_tests_compile() -> None:
    script = compile_script("if allof (not false, anyof (true, size :under 1K)) { keep; }")
    (chain,) = script.commands
    test = chain.branches[0][0]  # type: ignore[union-attr]
    assert isinstance(test, AllOf)
    assert test.tests[0] == Not(Constant(False))
    assert SizeTest(over=False, limit=1024) in test.tests[1].tests  # type: ignore[union-attr]


# ---- require (RFC 5228 §3.2, §2.10.5)


def test_required_capabilities_are_recorded() -> None:
    script = compile_script('require ["fileinto", "envelope"]; require "imap4flags";')
    assert script.capabilities == {"fileinto", "envelope", "imap4flags"}


def test_comparator_capabilities_may_be_required() -> None:
    compile_script('require ["comparator-i;octet", "comparator-i;ascii-casemap"];')


@pytest.mark.parametrize(
    ("script", "needed"),
    [
        ('fileinto "A";', "fileinto"),
        ('if envelope "to" "a@b" { keep; }', "envelope"),
        ('addflag "\\\\Seen";', "imap4flags"),
        ('setflag "x";', "imap4flags"),
        ('removeflag "x";', "imap4flags"),
        ('if hasflag "x" { keep; }', "imap4flags"),
        ('keep :flags "x";', "imap4flags"),
        ('require "fileinto"; fileinto :flags "x" "A";', "imap4flags"),
    ],
)
def test_extension_used_without_require_is_an_error(script: str, needed: str) -> None:
    assert f'require "{needed}"' in error_of(script).message


def test_unknown_capability_in_require_is_an_error_where_it_is_named() -> None:
    error = error_of('require "fileinto";\nrequire ["envelope", "x-unknown"];')
    assert (error.line, error.column) == (2, 9)
    assert '"x-unknown"' in error.message


@pytest.mark.parametrize("capability", ["vacation", "reject", "variables", "body", "FILEINTO"])
def test_extensions_outside_the_subset_are_refused(capability: str) -> None:
    assert "unsupported extension" in error_of(f'require "{capability}";').message


def test_require_after_another_command_is_an_error() -> None:
    assert where('keep;\nrequire "fileinto";') == (2, 1)


def test_require_inside_a_block_is_an_error() -> None:
    assert "before every other command" in error_of('if true { require "fileinto"; }').message


# ---- commands and tests: names, shapes, arguments


@pytest.mark.parametrize(
    ("script", "line", "column", "words"),
    [
        ("keep", 1, 5, "expected ';' or '{'"),
        ("if true { keep;", 1, 16, "to close the block"),
        ("keep; }", 1, 7, "expected a command"),
        ("if true keep;", 1, 1, "needs a block"),
        ("keep { }", 1, 1, "takes no block"),
        ('redirect "a@b";', 1, 1, "unknown or unsupported command"),
        ("frobnicate;", 1, 1, "unknown or unsupported command"),
        ('if body :contains "x" { keep; }', 1, 4, "unknown or unsupported test"),
        ("elsif true { keep; }", 1, 1, "without a preceding if"),
        ("keep; else { keep; }", 1, 7, "without a preceding if"),
        ("if (true) { keep; }", 1, 1, "one test, without parentheses"),
        ("if { keep; }", 1, 1, "one test"),
        ("if allof true { keep; }", 1, 4, "in parentheses"),
        ("if allof () { keep; }", 1, 11, "expected a test"),
        ("if not (true) { keep; }", 1, 4, "without parentheses"),
        ("if not { keep; }", 1, 4, "one test"),
        ("if true false { keep; }", 1, 9, "takes no nested test"),
        ("if anyof (true, ) { keep; }", 1, 17, "expected a test"),
        ("if anyof (true false) { keep; }", 1, 16, "takes no nested test"),
        ("if anyof (true; { keep; }", 1, 15, "',' or ')'"),
        ("keep true;", 1, 6, "takes no test"),
        ("stop 1;", 1, 6, "too many arguments"),
        ('discard "x";', 1, 9, "too many arguments"),
        ('if true "x" { keep; }', 1, 9, "too many arguments for true"),
        ('if "x" true { keep; }', 1, 4, "too many arguments for if"),
        ('if header ["a", ] "b" { keep; }', 1, 17, "a string after ','"),
        ('if header ["a" "b"] "c" { keep; }', 1, 16, "',' or ']'"),
        ('if header [] "c" { keep; }', 1, 12, "a string in the list"),
    ],
)
def test_shape_errors_say_where(script: str, line: int, column: int, words: str) -> None:
    error = error_of(script)
    assert (error.line, error.column) == (line, column), error
    assert words in error.message


@pytest.mark.parametrize(
    ("script", "words"),
    [
        ('if header :is "a" { keep; }', "needs a key list"),
        ("if header :is { keep; }", "needs a list of header names"),
        ('if header :is :contains "a" "b" { keep; }', "only one match type"),
        ('if header :comparator "i;octet" :comparator "i;octet" "a" "b" { keep; }', "only one"),
        ('if address :all :domain "from" "b" { keep; }', "only one address part"),
        ('if header :regex "a" "b" { keep; }', "has no tag :regex"),
        ('if header :localpart "from" "b" { keep; }', "has no tag :localpart"),
        ('if header "a" :is "b" { keep; }', "tagged arguments come before"),
        (
            'if header :comparator "i;unknown" "a" "b" { keep; }',
            'unsupported comparator "i;unknown"',
        ),
        ('if header :comparator ["i;octet"] "a" "b" { keep; }', "not a bracketed list"),
        ('if header :comparator 5 "a" "b" { keep; }', "expected a string after :comparator"),
        ("if header :comparator { keep; }", "needs a string after :comparator"),
        ('if header 5 "b" { keep; }', "found a number"),
        ('if header "Subject:" "b" { keep; }', "not a header field name"),
        ('if exists "bad name" { keep; }', "not a header field name"),
        ('if address "subject" "b" { keep; }', "only headers that hold addresses"),
        ('require "envelope"; if envelope "via" "b" { keep; }', 'unknown envelope part "via"'),
        ("if size 100 { keep; }", "needs :over or :under"),
        ("if size :over :under 100 { keep; }", "only one size comparison"),
        ('if size :over "100" { keep; }', "found a string"),
        ("if size :over { keep; }", "needs a size limit"),
        ('require "fileinto"; fileinto ["A", "B"];', "not a list"),
        ('require "fileinto"; fileinto "";', "non-empty mailbox name"),
        ('require "fileinto"; fileinto;', "needs a mailbox name"),
        ('require "imap4flags"; setflag "var" "x";', '"variables" extension'),
        ('require "imap4flags"; if hasflag "var" "x" { keep; }', '"variables" extension'),
        ('require "imap4flags"; addflag;', "needs a list of flags"),
        ('require "imap4flags"; keep :flags;', "needs a string list after :flags"),
        ("keep :copy;", "has no tag :copy"),
    ],
)
def test_argument_errors(script: str, words: str) -> None:
    assert words in error_of(script).message


def test_argument_error_points_at_the_argument() -> None:
    assert where('if header :is\n   :contains "a" "b" { keep; }') == (2, 4)


def test_nesting_is_bounded() -> None:
    deep = "if true { " * (MAX_NESTING + 1) + "keep;" + " }" * (MAX_NESTING + 1)
    assert "nesting deeper" in error_of(deep).message
    allowed = "if true { " * (MAX_NESTING - 1) + "keep;" + " }" * (MAX_NESTING - 1)
    compile_script(allowed)


def test_test_nesting_is_bounded() -> None:
    deep = "if " + "not " * (MAX_NESTING + 5) + "true { keep; }"
    assert "nesting deeper" in error_of(deep).message


def test_fileinto_with_flags_compiles_to_canonical_flags() -> None:
    script = compile_script(
        'require ["fileinto", "imap4flags"];\n'
        'fileinto :flags ["\\\\seen $Label1", "\\\\Recent", "bad(flag"] "Lists/ietf";'
    )
    assert script.commands == (FileInto("Lists/ietf", ("\\Seen", "$Label1")),)
