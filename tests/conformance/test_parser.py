"""The script parser: header, steps, blocks, sessions, and its error messages."""

from __future__ import annotations

import base64
import hmac
import re
from pathlib import Path

import pytest

from harness.conformance.model import (
    Close,
    EitherNode,
    Expect,
    ExpectClose,
    ExpectSilence,
    Level,
    LineKind,
    LineNode,
    Open,
    Parallel,
    RestNode,
    ScriptError,
    Send,
    Service,
    SessionState,
    Sleep,
    StartTLS,
    Sync,
    UnorderedNode,
)
from harness.conformance.parser import load_suite, parse_file, parse_script
from harness.conformance.template import render
from tests.conformance.helpers import header as header_text
from tests.conformance.helpers import script

README = Path(__file__).resolve().parents[2] / "suites" / "README.md"
ACCOUNT = {"user": b"alice@example.test", "password": b"pw", "user2": b"bob@example.test"}


def sent(step: object, variables: dict[str, bytes] | None = None) -> bytes:
    assert isinstance(step, Send)
    return b"".join(
        render(chunk.template, variables or ACCOUNT) + (b"\r\n" if chunk.line_end else b"")
        for chunk in step.chunks
    )


def parse_error(body: str, extra: str = "") -> str:
    with pytest.raises(ScriptError) as caught:
        script(body, extra)
    return str(caught.value)


# --- the header --------------------------------------------------------------------


def test_header_fields_and_defaults() -> None:
    parsed = script("C: NOOP\n", 'requires = ["PIPELINING"]\ntimeout = "300ms"')
    header = parsed.header
    assert (header.id, header.level, header.service) == ("SMTP-TEST-CASE", Level.MUST, Service.SMTP)
    assert header.reference == "RFC 5321 §4.1"
    assert header.requires == ("PIPELINING",)
    assert (header.state, header.accounts, header.timeout) == (SessionState.GREETED, 1, 0.3)


def test_seed_messages_by_name_and_inline() -> None:
    extra = """accounts = 2
seed = ["plain-short", {corpus = "signed", account = 2, mailbox = "Work", flags = ['\\Seen']}]"""
    header = script("C: NOOP\n", extra).header
    assert header.seed[0].corpus == "plain-short"
    assert (header.seed[1].account, header.seed[1].mailbox, header.seed[1].flags) == (
        2,
        "Work",
        ("\\Seen",),
    )
    inline = script("C: NOOP\n", "[[seed]]\nmessage = '''\nSubject: x\n\nbody\n'''").header
    assert inline.seed[0].message == b"Subject: x\r\n\r\nbody\r\n"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('levle = "MUST"', "t.mhs:9: unknown header key 'levle'"),
        ('state = "selected"', "t.mhs:9: state 'selected' needs an IMAP service"),
        ('timeout = "soon"', "t.mhs:9: 'timeout': expected a positive duration"),
        ("accounts = 0", "t.mhs:9: 'accounts' must be an integer from 1 to 100"),
        ('seed = [{corpus = "a", account = 3}]', "t.mhs:9: seed account must be 1..1"),
        ("requires = STARTTLS", "t.mhs:9: bad TOML in header: Invalid value"),
        ('requires = "STARTTLS"', "t.mhs:9: 'requires' must be a list of strings"),
    ],
)
def test_header_errors_name_the_key_line(extra: str, message: str) -> None:
    assert parse_error("C: NOOP\n", extra).startswith(message)


def test_header_value_errors() -> None:
    text = header_text().replace('"MUST"', '"MUSTN\'T"') + "C: NOOP\n"
    with pytest.raises(ScriptError, match=r"t.mhs:6: 'level' must be one of MUST, MUST NOT"):
        parse_script(text, "t.mhs")
    text = header_text().replace('"SMTP-TEST-CASE"', '"smtp-noop"') + "C: x\n"
    with pytest.raises(ScriptError, match=r"t.mhs:2: 'id' must be a catalogue ID"):
        parse_script(text, "t.mhs")
    text = header_text().replace('title = "a test"\n', "") + "C: x\n"
    with pytest.raises(ScriptError, match=r"t.mhs:1: header lacks required key 'title'"):
        parse_script(text, "t.mhs")


def test_header_fences() -> None:
    with pytest.raises(ScriptError, match=r"x.mhs:1: expected the header to open with"):
        parse_script("id = 'X-Y'\n", "x.mhs")
    with pytest.raises(ScriptError, match=r"x.mhs:1: the header is not closed"):
        parse_script("+++\nid = 'X-Y'\n", "x.mhs")
    with pytest.raises(ScriptError, match=r"the script has no steps"):
        parse_script(header_text() + "# only a comment\n", "x.mhs")


# --- sending -----------------------------------------------------------------------


def test_send_lines_escapes_and_crlf_suppression() -> None:
    steps = script(
        "C: EHLO client.example\nC:\nC-: x${LF}.${LF}\nC: MAIL FROM:<${'\"a\" * 5'}@x>\n".replace(
            "${'", "${"
        ).replace("'}", "}")
        + "C: AUTH PLAIN ${base64(NUL + user + NUL + password)}\n"
        "C: \\Seen $5 ${0x00ff}${SP}end\n"
    ).steps
    sends = [step for step in steps if isinstance(step, Send)]
    assert [sent(step) for step in sends] == [
        b"EHLO client.example\r\n",
        b"\r\n",
        b"x\n.\n",
        b"MAIL FROM:<aaaaa@x>\r\n",
        b"AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABwdw==\r\n",
        b"\\Seen $5 \x00\xff end\r\n",
    ]


def test_write_block_is_one_send() -> None:
    steps = script("write:\n  C: STARTTLS\n  # comment inside\n  C: RSET\nend\n").steps
    (send,) = [step for step in steps if isinstance(step, Send)]
    assert sent(send) == b"STARTTLS\r\nRSET\r\n"
    assert [chunk.location.line for chunk in send.chunks] == [12, 14]


def test_big_generated_payload_stays_small_in_the_model() -> None:
    (send,) = [s for s in script('C: ${"A" * 5000}\n').steps if isinstance(s, Send)]
    assert sent(send) == b"A" * 5000 + b"\r\n"


def test_file_crlf_line_ends_are_not_bytes() -> None:
    text = (header_text() + "C: NOOP\nS: 250 OK\n").replace("\n", "\r\n")
    steps = parse_script(text, "t.mhs").steps
    assert sent(steps[1]) == b"NOOP\r\n"


# --- steps and blocks ----------------------------------------------------------------


def test_steps_carry_locations_and_implicit_open() -> None:
    steps = script(
        "S: 220 ${*}\nC: STARTTLS\nS: 220 go\nstarttls\nexpect silence 300ms\n"
        "sleep 2s\nC: QUIT\nS: 221 bye\nexpect close\n",
        'state = "connected"',
    ).steps
    kinds = [type(step) for step in steps]
    assert kinds == [
        Open,
        Expect,
        Send,
        Expect,
        StartTLS,
        ExpectSilence,
        Sleep,
        Send,
        Expect,
        ExpectClose,
    ]
    opened = steps[0]
    assert isinstance(opened, Open) and opened.implicit
    assert (opened.service, opened.state, opened.session) == (
        Service.SMTP,
        SessionState.CONNECTED,
        "main",
    )
    assert [step.location.line for step in steps] == [11, 11, 12, 13, 14, 15, 16, 17, 18, 19]
    silence = steps[5]
    assert isinstance(silence, ExpectSilence) and silence.seconds == 0.3


def test_consecutive_expectations_form_one_group() -> None:
    steps = script(
        "C: EHLO x\nS: 250-a\n# comment\n...\neither:\n S: 1\nor:\n S: 2\nend\n"
        "unordered:\n S: 3\n response:\n  S: 4\n  ...\n end\n ...\nend\n"
    ).steps
    (expect,) = [step for step in steps if isinstance(step, Expect)]
    line, rest, either, unordered = expect.nodes
    assert isinstance(line, LineNode) and line.kind is LineKind.LINE and line.source == "250-a"
    assert isinstance(rest, RestNode) and rest.location.line == 14
    assert isinstance(either, EitherNode) and len(either.branches) == 2
    assert isinstance(unordered, UnorderedNode) and unordered.allow_others
    assert [len(item) for item in unordered.items] == [1, 2]


def test_sessions_with_explicit_open_close_and_parallel() -> None:
    parsed = script(
        "[a] C: a1 NOOP\n"
        "[b] open service=imap state=authenticated account=2\n"
        "[b] C: b1 LOGOUT\n[b] expect close\n"
        "[a] close\n[a] open\n"
        "parallel:\n  [a] C: a2 NOOP\n  sync\n  [b] open\n  [b] sleep 1s\nend\n",
        "accounts = 2",
        service="imap",
    )
    assert parsed.sessions == ("a", "b")
    kinds = [type(step).__name__ for step in parsed.steps]
    assert kinds == ["Open", "Send", "Open", "Send", "ExpectClose", "Close", "Open", "Parallel"]
    explicit = parsed.steps[2]
    assert isinstance(explicit, Open) and not explicit.implicit
    assert (explicit.service, explicit.state, explicit.account) == (
        Service.IMAP,
        SessionState.AUTHENTICATED,
        2,
    )
    parallel = parsed.steps[-1]
    assert isinstance(parallel, Parallel)
    lanes = parallel.lanes()
    assert [type(s).__name__ for s in lanes["a"]] == ["Send", "Sync"]
    assert [type(s).__name__ for s in lanes["b"]] == ["Sync", "Open", "Sleep"]
    assert isinstance(lanes["a"][1], Sync) and isinstance(parsed.steps[5], Close)


def test_block_lines_inherit_the_session() -> None:
    steps = script(
        "[b] write:\n  C: x\n  [b] C: y\nend\n[b] either:\n S: 1\nor:\n S: 2\nend\n"
    ).steps
    assert {step.session for step in steps if isinstance(step, Send | Expect)} == {"b"}


def test_captures_and_accounts_bind_names_for_later_lines() -> None:
    parsed = script(
        "S: 334 ${challenge}\nC: ${base64(user + ' ' + hmac_md5hex(password, unbase64(challenge)))}\n".replace(
            "' '", '" "'
        )
        + "S~: (?P<tag>\\w+) OK\nC: ${tag} ${user2}\n",
        "accounts = 2",
    )
    sends = [step for step in parsed.steps if isinstance(step, Send)]
    variables = {**ACCOUNT, "challenge": b"PDEyMz4=", "tag": b"t1"}
    digest = hmac.new(b"pw", b"<123>", "md5").hexdigest().encode()
    assert sent(sends[0], variables) == base64.b64encode(b"alice@example.test " + digest) + b"\r\n"
    assert sent(sends[1], variables) == b"t1 bob@example.test\r\n"


# --- body errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("C: NOOP \n", "t.mhs:11: trailing whitespace is invisible"),
        ("C:NOOP\n", "t.mhs:11: expected a space after C:"),
        ("c: NOOP\n", "t.mhs:11: expected C:, C-:, S:"),
        ("c: NOOP\n", "(keywords are upper case: C: and S:)"),
        ("C: x\nunordered\n", "(did you mean unordered:?)"),
        ("C: ${later}\nS: ${later}\n", "t.mhs:11: ${later} is not bound here"),
        ("C: ${user2}\n", "t.mhs:11: ${user2} needs accounts = 2 in the header"),
        ("C: ${*}\n", "t.mhs:11: column 4: '${*}' cannot be used in C: lines"),
        ("C: ${400|500}\n", "cannot be used in C: lines"),
        ("S~: ${*}x\n", "cannot be used in S~: lines (use regex syntax)"),
        ("S~: (unclosed\n", "t.mhs:11: S~: is not a valid regular expression"),
        ("S~: ${t} x\n", "${t} is not bound here"),
        ("  C: ${base64(user}\n", "column 6: in '${base64(user}': expected )"),
        ("C: ${nosuch(user)}\n", "unknown function 'nosuch'"),
        ("C: ${md5hex(user, user)}\n", "md5hex() takes 1 argument(s), got 2"),
        ('C: ${"a" * x}\n', "expected a repeat count after '*'"),
        ("C: ${CR\n", "'${' is not closed by '}'"),
        ("...\n", "t.mhs:11: ... must follow an S:, S-: or S~: line"),
        ("S: 1\n...\n...\n", "t.mhs:13: ... must follow"),
        ("write:\n  S: x\nend\n", "t.mhs:12: expected C:, C-: or end inside write:"),
        ("write:\nend\n", "t.mhs:11: write: block is empty"),
        ("unordered:\n  S: x\n", "t.mhs:11: unordered: is not closed by end"),
        ("unordered:\n  C: x\nend\n", "t.mhs:12: expected S:, S-:, S~:, response:, ... or end"),
        ("unordered:\nend\n", "unordered: block is empty"),
        ("either:\n  S: a\nend\n", "t.mhs:11: either: needs at least two branches"),
        ("either:\n  S: a\nor:\nend\n", "t.mhs:13: an either: branch is empty"),
        ("end\n", "t.mhs:11: end without an open block"),
        ("or:\n", "t.mhs:11: or: without an open block"),
        ("response:\n", "t.mhs:11: response: is only valid inside a block"),
        ("sync\n", "t.mhs:11: sync is a barrier"),
        ("parallel:\n parallel:\n end\nend\n", "t.mhs:12: parallel: blocks cannot be nested"),
        ("parallel:\n C: x\n", "t.mhs:11: parallel: is not closed by end"),
        ("sleep later\n", "t.mhs:11: sleep: expected a positive duration"),
        ("[a] C: x\nC: y\n", "t.mhs:12: this script names sessions"),
        ("[a b] C: x\n", "t.mhs:11: session name [a b] must be"),
        ("[a] close\n[a] C: x\n", "t.mhs:12: session a is closed here; reopen it with [a] open"),
        ("[a] C: x\n[a] open\n", "t.mhs:12: session a is already open"),
        ("[a] open colour=red\n", "open takes service=, state= and account="),
        ("[a] open account=2\n", "open: account must be 1..1"),
        ("[a] open service=ftp\n", "open: 'ftp' is not a valid Service"),
        ("[a] open state=selected\n", "state=selected needs an IMAP service"),
        ("[a] write:\n  [b] C: x\nend\n", "t.mhs:12: [b] inside a block of [a]"),
    ],
)
def test_body_errors_name_the_line_and_what_was_expected(body: str, message: str) -> None:
    assert message in parse_error(body)


# --- files and suites -----------------------------------------------------------------------


def write(root: Path, relative: str, case_id: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    header = header_text().replace("SMTP-TEST-CASE", case_id)
    path.write_text(header + "C: NOOP\nS: 250 ${*}\n", encoding="utf-8")
    return path


def test_parse_file_uses_the_folder_as_area_and_root_relative_paths(tmp_path: Path) -> None:
    path = write(tmp_path, "smtp/commands/noop-basic.mhs", "SMTP-NOOP")
    parsed = parse_file(path, root=tmp_path)
    assert (parsed.path, parsed.header.area) == ("smtp/commands/noop-basic.mhs", "commands")
    assert parsed.steps[1].location.file == "smtp/commands/noop-basic.mhs"


@pytest.mark.parametrize(
    "name", ["NoopBasic.mhs", "noop_basic.mhs", "noop-basic.txt", "noop--x.mhs"]
)
def test_file_names_are_kebab_case_mhs(tmp_path: Path, name: str) -> None:
    with pytest.raises(ScriptError, match="kebab-case"):
        parse_file(write(tmp_path, name, "SMTP-NOOP"))


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad-bytes.mhs", "SMTP-NOOP")
    path.write_bytes(path.read_bytes() + b"C: caf\xe9\n")
    with pytest.raises(ScriptError, match=r"bad-bytes.mhs:13: the file is not valid UTF-8"):
        parse_file(path)


def test_load_suite_rejects_duplicate_ids(tmp_path: Path) -> None:
    write(tmp_path, "smtp/a/first-case.mhs", "SMTP-NOOP")
    write(tmp_path, "smtp/b/second-case.mhs", "SMTP-RSET")
    assert [s.id for s in load_suite(tmp_path)] == ["SMTP-NOOP", "SMTP-RSET"]
    write(tmp_path, "smtp/c/third-case.mhs", "SMTP-NOOP")
    with pytest.raises(ScriptError, match=r"id SMTP-NOOP is also used by smtp/a/first-case.mhs"):
        load_suite(tmp_path)


# --- the specification's own examples ----------------------------------------------------------


def readme_scripts() -> list[str]:
    blocks = re.findall(r"```mhs\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    return [block for block in blocks if block.startswith("+++")]


def test_every_complete_example_in_the_specification_parses() -> None:
    scripts = readme_scripts()
    assert len(scripts) >= 6
    ids = [parse_script(text, "README.md").id for text in scripts]
    assert "SMTP-SMUGGLE-INBOUND/lf-dot-lf" in ids
    assert len(set(ids)) == len(ids)


def test_smuggling_example_sends_the_probe_in_one_write() -> None:
    (text,) = [t for t in readme_scripts() if "SMUGGLE" in t]
    parsed = parse_script(text, "README.md")
    assert parsed.sessions == ("mx", "imap")
    probe = next(s for s in parsed.steps if isinstance(s, Send) and len(s.chunks) > 1)
    data = sent(probe)
    assert data.startswith(b"Subject: smuggling probe\r\n\r\nfirst\n.\nMAIL FROM:<evil@")
    assert data.endswith(b"\r\nsmuggled\r\n.\r\n")
