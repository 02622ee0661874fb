"""Every string the server and the protocol cores can put in a reply is ASCII.

Reply texts are ASCII on the wire until a client enables UTF-8: POP3 (RFC
6856 §2.1: strings outside ASCII "MUST NOT be sent to the client as is"; RFC
2449 §3: schar is printable ASCII), SMTP (RFC 5321 §4.2: textstring is
HT, SP and printable ASCII) and IMAP (RFC 9051 §4.3 text is TEXT-CHAR, which
is ASCII unless UTF8=ACCEPT is enabled). Section signs crept into -ERR texts
once ("(RFC 2595 §2.3)"), so every string literal in harness/server and
harness/protocols that is not a docstring must be ASCII; the few that are
character ranges for matching, never sent, are listed below.
"""

from __future__ import annotations

import ast
from pathlib import Path

import harness

ROOT = Path(harness.__file__).parent
PACKAGES = (ROOT / "server", ROOT / "protocols")

# (file relative to harness/, the literal): matched against input, never sent
NOT_REPLY_TEXT = {
    ("server/imap/mime_envelope.py", "\ufdd0"),  # a noncharacter as a sentinel
    ("server/sieve/lexer.py", "\x00|\r(?!\n)|[\ud800-\udfff]"),
    ("protocols/smtp/grammar.py", "\x80-\U0010ffff"),
}


def non_ascii_literals(path: Path) -> list[tuple[int, str]]:
    """String constants outside docstrings (any string statement) with non-ASCII."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    statements = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in statements
        and not node.value.isascii()
    ]


def test_no_non_ascii_string_literal_outside_docstrings() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {value!r}"
        for package in PACKAGES
        for path in sorted(package.rglob("*.py"))
        for line, value in non_ascii_literals(path)
        if (path.relative_to(ROOT).as_posix(), value) not in NOT_REPLY_TEXT
    ]
    assert found == []


def test_the_scan_sees_literals_but_not_docstrings(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        '"""Doc \u00a7 1."""\nX = "(RFC 2595 \u00a72.3)"\n\n\ndef f() -> str:\n'
        '    """Doc \u00a7 2."""\n    return f"{X} \u00e9"\n',
        encoding="utf-8",
    )
    assert non_ascii_literals(module) == [(2, "(RFC 2595 \u00a72.3)"), (7, " \u00e9")]
