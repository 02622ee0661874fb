"""The runner's decoders: server bytes -> whole responses, framed by the protocol cores."""

from __future__ import annotations

import pytest

from harness.conformance.decoders import IMAPDecoder, SMTPDecoder
from harness.conformance.pop3_decoder import POP3Decoder
from harness.conformance.response import Response
from harness.protocols.common import NEED_DATA


def drain(decoder: SMTPDecoder | IMAPDecoder | POP3Decoder) -> list[Response]:
    out = []
    while (event := decoder.next_event()) is not NEED_DATA:
        assert isinstance(event, Response)
        out.append(event)
    return out


def raws(responses: list[Response]) -> list[bytes]:
    return [response.raw for response in responses]


# --- SMTP ----------------------------------------------------------------------------


def test_smtp_multiline_reply_is_one_response_even_split_across_reads() -> None:
    decoder = SMTPDecoder()
    decoder.receive_data(b"220 hi\r\n250-a\r\n25")
    assert raws(drain(decoder)) == [b"220 hi\r\n"]
    assert decoder.buffered == b"250-a\r\n25"
    decoder.receive_data(b"0 b\r\n")
    assert raws(drain(decoder)) == [b"250-a\r\n250 b\r\n"]
    assert decoder.buffered == b""


@pytest.mark.parametrize(
    ("wire", "complaint"),
    [
        (b"250-a\r\n251 b\r\n", "changes its code"),
        (b"hello\r\n", "malformed reply line"),
        (b"2500 x\r\n", "malformed reply line"),
    ],
)
def test_smtp_lines_the_core_refuses_are_problem_responses(wire: bytes, complaint: str) -> None:
    decoder = SMTPDecoder()
    decoder.receive_data(wire)
    (response,) = drain(decoder)
    assert response.raw == wire
    assert response.problem is not None and complaint in response.problem


def test_smtp_bare_lf_lines_are_framed_for_the_matcher_to_judge() -> None:
    decoder = SMTPDecoder()
    decoder.receive_data(b"250 ok\n")
    (response,) = drain(decoder)
    assert response.raw == b"250 ok\n" and response.problem is None


def test_smtp_half_a_reply_at_eof_is_an_incomplete_response() -> None:
    decoder = SMTPDecoder()
    decoder.receive_data(b"250-a\r\n250-b")
    decoder.receive_data(b"")
    (response,) = drain(decoder)
    assert response.raw == b"250-a\r\n250-b" and not response.complete


def test_smtp_a_line_without_end_is_cut_and_reported() -> None:
    decoder = SMTPDecoder()
    decoder.receive_data(b"2" * (2 << 20))
    (response,) = drain(decoder)
    assert response.problem is not None and "longer than" in response.problem
    assert response.raw.startswith(b"222")


# --- IMAP ----------------------------------------------------------------------------


def test_imap_literal_belongs_to_its_response() -> None:
    decoder = IMAPDecoder()
    decoder.receive_data(b"* 1 FETCH (BODY[] {7}\r\na\r\nb\r\n)\r\na1 OK done\r\n")
    assert raws(drain(decoder)) == [b"* 1 FETCH (BODY[] {7}\r\na\r\nb\r\n)\r\n", b"a1 OK done\r\n"]


def test_imap_unknown_untagged_responses_are_accepted_broken_grammar_is_not() -> None:
    decoder = IMAPDecoder()
    decoder.receive_data(b"* XAPPLEPUSHSERVICE aps\r\na1 MAYBE\r\n+ go\r\n")
    unknown, bad, continuation = drain(decoder)
    assert unknown.problem is None  # RFC 9051 §7: clients accept responses they do not know
    assert bad.problem is not None and "bad response" in bad.problem
    assert continuation.problem is None


def test_imap_starttls_restarts_framing() -> None:
    decoder = IMAPDecoder()
    decoder.receive_data(b"a1 OK go\r\n* par")
    drain(decoder)
    assert decoder.buffered
    decoder.start_tls()
    assert decoder.buffered == b""


# --- POP3 ----------------------------------------------------------------------------


def pop3_after_greeting() -> POP3Decoder:
    decoder = POP3Decoder(tls=False)
    decoder.receive_data(b"+OK ready\r\n")
    assert raws(drain(decoder)) == [b"+OK ready\r\n"]
    return decoder


def test_pop3_multiline_is_decided_by_the_command_sent() -> None:
    decoder = pop3_after_greeting()
    decoder.note_sent(b"LIST\r\nLIST 2\r\nRETR 1\r\nDELE 9\r\n")
    decoder.receive_data(
        b"+OK 2 messages\r\n1 10\r\n2 20\r\n.\r\n+OK 2 20\r\n+OK\r\n..dot\r\nx\r\n.\r\n-ERR no\r\n"
    )
    assert raws(drain(decoder)) == [
        b"+OK 2 messages\r\n1 10\r\n2 20\r\n.\r\n",
        b"+OK 2 20\r\n",
        b"+OK\r\n..dot\r\nx\r\n.\r\n",
        b"-ERR no\r\n",
    ]


def test_pop3_err_to_a_multiline_command_is_one_line() -> None:
    decoder = pop3_after_greeting()
    decoder.note_sent(b"RETR 7\r\nNOOP\r\n")
    decoder.receive_data(b"-ERR no such message\r\n+OK\r\n")
    assert raws(drain(decoder)) == [b"-ERR no such message\r\n", b"+OK\r\n"]


def test_pop3_lines_the_grammar_refuses_still_expect_one_status_line() -> None:
    decoder = pop3_after_greeting()
    decoder.note_sent(b"XYZZY 1 2 3\r\nLIST abc\r\n")
    decoder.receive_data(b"-ERR unknown\r\n-ERR syntax\r\n")
    assert [r.problem for r in drain(decoder)] == [None, None]


def test_pop3_a_missing_terminator_keeps_the_response_open() -> None:
    decoder = pop3_after_greeting()
    decoder.note_sent(b"LIST\r\nSTAT\r\n")
    decoder.receive_data(b"+OK\r\n1 10\r\n+OK 1 10\r\n")
    # Without its "." the listing swallows the next status line as a (bad) listing line.
    assert drain(decoder) == []
    decoder.receive_data(b"")
    (response,) = drain(decoder)
    assert not response.complete
    assert response.problem is not None and "bad scan listing" in response.problem


def test_pop3_sasl_exchange_challenge_then_final_status() -> None:
    decoder = pop3_after_greeting()
    decoder.note_sent(b"AUTH PLAIN\r\n")
    decoder.receive_data(b"+ \r\n")
    decoder.note_sent(b"AGFsaWNlAHB3\r\n")
    decoder.receive_data(b"+OK logged in\r\n")
    assert raws(drain(decoder)) == [b"+ \r\n", b"+OK logged in\r\n"]


def test_pop3_bytes_after_stls_go_ahead_are_held_as_evidence() -> None:
    decoder = pop3_after_greeting()
    decoder.note_sent(b"STLS\r\nCAPA\r\n")
    decoder.receive_data(b"+OK begin TLS\r\n+OK injected answer\r\n")
    assert raws(drain(decoder)) == [b"+OK begin TLS\r\n"]
    assert decoder.buffered == b"+OK injected answer\r\n"
    decoder.start_tls()
    assert decoder.buffered == b""


def test_pop3_responses_nobody_asked_for_are_problems() -> None:
    decoder = pop3_after_greeting()
    decoder.receive_data(b"+OK unsolicited\r\n")
    (response,) = drain(decoder)
    assert response.problem is not None and "no command in flight" in response.problem
