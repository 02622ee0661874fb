"""Captured conversations decoded by the protocol cores: transcripts and violations."""

from __future__ import annotations

from pathlib import Path

from harness.capture.decode import decode_pcap
from harness.capture.render import render_decoded, script_skeleton
from harness.conformance.parser import parse_script
from harness.transcript import Direction, EventKind, parse_text
from tests.capture.synth import Conversation, conversation_pcap

SMTP_OK = [
    ("S", b"220 mx.example ESMTP\r\n"),
    ("C", b"EHLO client.example\r\n"),
    ("S", b"250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n"),
    ("C", b"MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n"),
    ("S", b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n"),
    ("C", b"Subject: hi\r\n\r\n..leading dot\r\n.\r\n"),
    ("S", b"250 2.0.0 queued\r\n"),
    ("C", b"QUIT\r\n"),
    ("S", b"221 bye\r\n"),
]


def decode(tmp_path: Path, exchanges: list[tuple[str, bytes]], port: int = 25):  # type: ignore[no-untyped-def]
    decoding = decode_pcap(conversation_pcap(tmp_path / "x.pcap", exchanges, port))
    (decoded,) = decoding.connections
    return decoded


def violations(decoded) -> list[str]:  # type: ignore[no-untyped-def]
    return [note.text for note in decoded.violations]


def test_a_pipelined_smtp_session_decodes_cleanly_and_exactly(tmp_path: Path) -> None:
    decoded = decode(tmp_path, SMTP_OK)
    assert violations(decoded) == [] and not any("stopped" in n.text for n in decoded.notes)
    text = render_decoded(decoded)
    assert (
        "write:\n  C: MAIL FROM:<a@example.test>\n  C: RCPT TO:<b@example.test>\n  C: DATA\nend"
        in text
    )
    events = parse_text(text)
    sent = b"".join(e.data for e in events if e.direction is Direction.CLIENT and e.data)
    assert sent == b"".join(data for side, data in SMTP_OK if side == "C")
    assert [e.kind for e in events[-2:]] == [EventKind.CLOSE, EventKind.CLOSE]


def test_bare_lf_in_smtp_data_is_the_clients_violation(tmp_path: Path) -> None:
    session = list(SMTP_OK)
    session[5] = ("C", b"Subject: hi\r\n\r\nbare\nline\r\n.\r\n")
    decoded = decode(tmp_path, session)
    assert violations(decoded) == [
        "client violation: bare LF in message text (RFC 5321 §2.3.8: MUST NOT be sent)"
    ]
    assert "# !! client violation: bare LF in message text" in render_decoded(decoded)
    assert "  C-: bare${LF}" in render_decoded(decoded)


def test_a_malformed_reply_is_the_servers_violation_and_decoding_stops(tmp_path: Path) -> None:
    session = [*SMTP_OK[:2], ("S", b"hello there\r\n"), ("C", b"QUIT\r\n"), ("S", b"221 bye\r\n")]
    decoded = decode(tmp_path, session)
    assert violations(decoded) == ["server violation: malformed reply line b'hello there'"]
    text = render_decoded(decoded)
    assert "S: hello there\n# !! server violation" in text
    assert "# -- decoding stopped (a reply could not be matched" in text
    assert "C: QUIT\nS: 221 bye" in text  # still shown, as captured


def test_a_command_the_core_refuses_is_flagged_and_decoding_goes_on(tmp_path: Path) -> None:
    session = [
        *SMTP_OK[:3],
        ("C", b"MAIL FROM:<a b@example.test>\r\n"),
        ("S", b"501 5.1.7 Bad sender address syntax\r\n"),
        ("C", b"MAIL FROM:<a@example.test>\r\n"),
        ("S", b"250 ok\r\n"),
        ("C", b"RCPT TO:<b@example.test>\r\n"),
        ("S", b"250 ok\r\n"),
    ]
    decoded = decode(tmp_path, session)
    assert violations(decoded) == [
        "client violation: not a path: expected <local-part@domain> "
        "(the reply due: 501 5.1.7 Bad sender address syntax)"
    ]
    assert not any("stopped" in note.text for note in decoded.notes)


def test_pop3_multiline_bodies_are_framed_by_the_command(tmp_path: Path) -> None:
    session = [
        ("S", b"+OK ready\r\n"),
        ("C", b"USER alice\r\n"),
        ("S", b"+OK\r\n"),
        ("C", b"PASS secret\r\n"),
        ("S", b"+OK logged in\r\n"),
        ("C", b"LIST 9\r\n"),
        ("S", b"-ERR no such message\r\n"),  # -ERR is one line even to LIST
        ("C", b"RETR 1\r\n"),
        ("S", b"+OK 20 octets\r\nSubject: x\r\n\r\nbody\nmore\r\n.\r\n"),
        ("C", b"QUIT\r\n"),
        ("S", b"+OK bye\r\n"),
    ]
    decoded = decode(tmp_path, session, 110)
    assert decoded.protocol == "pop3"
    assert violations(decoded) == [
        "server violation: bare CR or LF in a multi-line response (RFC 1939 §3)"
    ]
    assert not any("stopped" in note.text for note in decoded.notes)


def test_imap_literals_continuations_and_a_bad_response(tmp_path: Path) -> None:
    session = [
        ("S", b"* OK IMAP4rev1 ready\r\n"),
        ("C", b"a1 LOGIN {5}\r\n"),
        ("S", b"+ go\r\n"),
        ("C", b"alice secret\r\n"),
        ("S", b"a1 OK logged in\r\n"),
        ("C", b"a2 SELECT INBOX\r\n"),
        ("S", b"* 2 EXISTS\r\na2 OK [READ-WRITE] done\r\n"),
        ("C", b"a3 FETCH 1 (FLAGS)\r\n"),
        ("S", b"* 1 FETCH (FLAGS (\\Seen)\r\na3 OK done\r\n"),
        ("C", b"a4 LOGOUT\r\n"),
        ("S", b"* BYE\r\na4 OK bye\r\n"),
    ]
    decoded = decode(tmp_path, session, 143)
    assert decoded.protocol == "imap"
    (problem,) = violations(decoded)
    assert problem.startswith("server violation: bad response")
    text = render_decoded(decoded)
    assert "C: a1 LOGIN {5}\nS: + go\nC: alice secret" in text


def test_imap_command_in_the_wrong_state_is_the_clients_violation(tmp_path: Path) -> None:
    session = [
        ("S", b"* OK ready\r\n"),
        ("C", b"a1 SELECT INBOX\r\n"),
        ("S", b"a1 BAD not authenticated\r\n"),
        ("C", b"a2 LOGOUT\r\n"),
        ("S", b"* BYE\r\na2 OK bye\r\n"),
    ]
    decoded = decode(tmp_path, session, 143)
    assert violations(decoded) == [
        "client violation: SELECT is not valid in the not authenticated state"
    ]


def test_starttls_ends_the_plaintext_and_counts_the_rest(tmp_path: Path) -> None:
    hello = bytes([22, 3, 1, 0, 4]) + b"\x01\x00\x00\x00"
    session = [
        *SMTP_OK[:3],
        ("C", b"STARTTLS\r\n"),
        ("S", b"220 go ahead\r\n"),
        ("C", hello),
        ("S", bytes([22, 3, 3, 0, 2]) + b"\x02\x00"),
    ]
    decoded = decode(tmp_path, session)
    assert decoded.encrypted and decoded.encrypted_octets == {
        Direction.CLIENT: 9,
        Direction.SERVER: 7,
    }
    text = render_decoded(decoded)
    assert "S: 220 go ahead\nstarttls\n# -- TLS handshake after STARTTLS/STLS" in text
    assert "9 client and 7 server octets encrypted, not shown" in text


def test_implicit_tls_is_reported_encrypted_and_scripts_as_imaps(tmp_path: Path) -> None:
    hello = bytes([22, 3, 1, 0, 4]) + b"\x01\x00\x00\x00"
    decoded = decode(tmp_path, [("C", hello), ("S", bytes([22, 3, 3, 0, 1, 2]))], 993)
    assert decoded.protocol == "imap" and decoded.encrypted
    assert "implicit TLS from the first octet" in render_decoded(decoded)
    script = parse_script(script_skeleton(decoded, "x.pcap"), "x.mhs")
    assert script.header.service.value == "imaps"


def test_a_capture_gap_stops_decoding_with_a_note(tmp_path: Path) -> None:
    talk = Conversation().handshake()
    talk.send(False, b"220 hi\r\n")
    talk.send(True, b"EHLO a\r\n")
    lost = talk.send(False, b"250 ok\r\n")
    talk.send(True, b"QUIT\r\n")
    talk.send(False, b"221 bye\r\n")
    path = talk.write(tmp_path / "x.pcap", [p for p in talk.packets if p is not lost[0]])
    (decoded,) = decode_pcap(path).connections
    assert "capture gap: 8 octets from the server were not captured" in render_decoded(decoded)
    assert violations(decoded) == []


def test_unknown_ports_are_decoded_by_greeting_or_skipped(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    greeted = decode_pcap(conversation_pcap(tmp_path / "a/x.pcap", SMTP_OK, 4025))
    assert [d.protocol for d in greeted.connections] == ["smtp"]
    other = decode_pcap(
        conversation_pcap(tmp_path / "b/x.pcap", [("C", b"GET / HTTP/1.0\r\n")], 8080)
    )
    assert other.connections == [] and "not a mail port" in other.skipped[0]
    mapped = decode_pcap(tmp_path / "b/x.pcap", {8080: "imap"})
    assert [d.protocol for d in mapped.connections] == ["imap"]


def test_script_skeletons_parse_and_replay_the_client_bytes(tmp_path: Path) -> None:
    decoded = decode(tmp_path, SMTP_OK, 587)
    script = parse_script(script_skeleton(decoded, tmp_path / "x.pcap"), "x.mhs")
    header = script.header
    assert header.id == "SMTP-PCAP-REGRESSION/connection-1"
    assert (header.protocol.value, header.service.value, header.state.value) == (
        "smtp",
        "submission",
        "connected",
    )
    assert "127.0.0.1" not in header.description and "10.0.0.1:40000" in header.description
