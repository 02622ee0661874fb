"""Message-case files: one case per [[cases]] entry, headers like a script's, precise errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.conformance.message_case import Journey, Transfer, parse_case_file
from harness.conformance.model import Protocol, ScriptError, SessionState
from harness.conformance.selection import SuiteError, collect_scripts, select
from harness.mail import integrity

FILE = """\
check = "fidelity"
id = "XP-SMTP-IMAP-BYTES"
title = "read back byte for byte"
rfc = 5321
section = "4.4"
level = "MUST"

[[cases]]
name = "eight-bit"
corpus = "8bit-body"

[[cases]]
name = "binary"
corpus = "binary-body"
read = ["imap"]

[[cases]]
name = "inline"
title = "a lone dot"
message = '''
Subject: x

.
'''
"""


def write(tmp_path: Path, text: str, name: str = "read-back.toml") -> Path:
    folder = tmp_path / "suites" / "fidelity"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


def test_each_entry_is_a_case_with_a_script_like_header(tmp_path: Path) -> None:
    eight, binary, inline = parse_case_file(write(tmp_path, FILE), root=tmp_path / "suites")
    assert [c.id for c in (eight, binary, inline)] == [
        "XP-SMTP-IMAP-BYTES/eight-bit",
        "XP-SMTP-IMAP-BYTES/binary",
        "XP-SMTP-IMAP-BYTES/inline",
    ]
    assert eight.path == "fidelity/read-back.toml" and eight.header.area == "fidelity"
    assert eight.journey is Journey.FIDELITY and eight.transfer is Transfer.AUTO
    assert eight.header.protocol is Protocol.E2E and eight.header.rfc == "RFC 5321"
    assert eight.header.state is SessionState.AUTHENTICATED
    assert eight.read == ("imap", "pop3") and binary.read == ("imap",)
    # What the message needs of the submission service becomes ``requires``:
    assert eight.header.requires == ("8BITMIME",)
    assert binary.header.requires == ("CHUNKING", "BINARYMIME")
    assert inline.header.title == "read back byte for byte: a lone dot"


def test_an_inline_message_gets_crlf_and_the_integrity_line(tmp_path: Path) -> None:
    inline = parse_case_file(write(tmp_path, FILE))[2]
    raw = inline.message.raw
    assert raw.endswith(b"Subject: x\r\n\r\n.\r\n")
    assert integrity.verify(raw) and b"X-Mailharness-Id: XP-SMTP-IMAP-BYTES/inline\r\n" in raw
    assert inline.header.requires == ()


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (('name = "binary"', 'name = "eight-bit"'), 13, "case name 'eight-bit' is used twice"),
        (('corpus = "8bit-body"', 'corpus = "no-such-kind"'), 10, "unknown corpus kind"),
        (('level = "MUST"', 'level = "MUST"\nsurprise = 1'), 7, "unknown key 'surprise'"),
        (('read = ["imap"]', 'read = ["smtp"]'), 15, "'read' lists protocols among imap, pop3"),
        (('check = "fidelity"', 'check = "teleport"'), 1, "'check' must be one of"),
    ],
)
def test_errors_name_the_file_and_line(
    tmp_path: Path, change: tuple[str, str], line: int, message: str
) -> None:
    path = write(tmp_path, FILE.replace(*change))
    with pytest.raises(ScriptError) as caught:
        parse_case_file(path, root=tmp_path / "suites")
    assert caught.value.location.line == line, caught.value
    assert caught.value.location.file == "fidelity/read-back.toml"
    assert message in str(caught.value)


def test_suites_collect_case_files_beside_scripts_and_k_selects_them(tmp_path: Path) -> None:
    write(tmp_path, FILE)
    cases = collect_scripts([tmp_path / "suites"])
    assert len(cases) == 3
    assert [c.id for c in select(cases, "inline or binary")] == [
        "XP-SMTP-IMAP-BYTES/binary",
        "XP-SMTP-IMAP-BYTES/inline",
    ]
    write(tmp_path, FILE, "again.toml")
    with pytest.raises(SuiteError, match="id XP-SMTP-IMAP-BYTES/eight-bit is also used by"):
        collect_scripts([tmp_path / "suites"])
