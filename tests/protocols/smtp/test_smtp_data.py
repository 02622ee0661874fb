"""Message text: DATA dot-stuffing, the bare-newline and line-length policies,
the size limit, SMTP smuggling, and BDAT (RFC 3030)."""

from __future__ import annotations

import pytest
from smtp_pair import OK, Pair, drain, greeted_server, serve

from harness.protocols.common import LocalProtocolError, RemoteProtocolError, Role
from harness.protocols.smtp import (
    Address,
    Bdat,
    BdatChunk,
    ChunkEnd,
    Data,
    MailFrom,
    MailParams,
    MessageData,
    MessageEnd,
    Path,
    RcptTo,
    SMTPConnection,
    SMTPLimits,
    SMTPPolicy,
    State,
    ehlo_reply,
    reply,
)

ENVELOPE = b"MAIL FROM:<a@x.example>\r\nRCPT TO:<u@l.example>\r\n"
TRANSACTION = ENVELOPE + b"DATA\r\n"


def in_data(policy: SMTPPolicy | None = None, limits: SMTPLimits | None = None) -> SMTPConnection:
    server = greeted_server(limits, policy)
    serve(server, TRANSACTION)
    assert server.state is State.DATA
    return server


def text_of(events: list[object]) -> bytes:
    return b"".join(e.data for e in events if isinstance(e, (MessageData, BdatChunk)))


def ready_pair() -> Pair:
    pair = Pair()
    pair.ehlo()
    pair.exchange(MailFrom(Path(Address("a", "x.example"))))
    pair.exchange(RcptTo(Path(Address("u", "l.example"))))
    return pair


def test_dot_stuffing_both_directions() -> None:
    """Catalogue SMTP-DATA-DOTSTUFF: first and last line with dots, ".", "..", "..."."""
    body = b".first\r\n.hidden\r\n..two\r\n.\r\n...\r\nplain\r\n.last\r\n"
    pair = ready_pair()
    pair.exchange(Data())
    wire = pair.send(
        MessageData(body[:7]), MessageData(body[7:20]), MessageData(body[20:]), MessageEnd()
    )
    assert wire == b"..first\r\n..hidden\r\n...two\r\n..\r\n....\r\nplain\r\n..last\r\n.\r\n"
    events = drain(pair.server)
    assert text_of(events) == body
    assert events[-1] == MessageEnd()


def test_message_end_adds_missing_crlf_and_no_extra_line() -> None:
    """Catalogue SMTP-DATA-NO-EXTRA-CRLF / -NO-FINAL-CRLF."""
    for body, wire_end in (
        (b"A\r\nB\r\n", b"B\r\n.\r\n"),
        (b"A\r\nB", b"B\r\n.\r\n"),
        (b"", b".\r\n"),
    ):
        pair = ready_pair()
        pair.exchange(Data())
        wire = pair.send(MessageData(body), MessageEnd())
        assert wire.endswith(wire_end)
        assert text_of(drain(pair.server)) == (
            body + b"\r\n" if body and not body.endswith(b"\r\n") else body
        )


def test_text_split_at_every_offset_decodes_the_same() -> None:
    wire = b"line\r\n..dot\r\n\r\n.\r\nNOOP\r\n"
    for cut in range(len(wire) + 1):
        server = in_data()
        events, out = serve(server, wire[:cut])
        more, out2 = serve(server, wire[cut:])
        assert text_of(events + more) == b"line\r\n.dot\r\n\r\n"
        assert out + out2 == b"250 2.0.0 OK\r\n250 2.0.0 OK\r\n"  # the text, then NOOP


def test_all_octets_but_nul_pass_intact() -> None:
    """Catalogue SMTP-DATA-8BIT-TRANSPARENT (with 8BITMIME octets too)."""
    line = bytes(b for b in range(1, 256) if b not in (10, 13))
    server = in_data()
    events, _ = serve(server, line + b"\r\n.\r\n")
    assert text_of(events) == line + b"\r\n"


SMUGGLING = [
    b"\n.\n",
    b"\n.\r\n",
    b"\r\n.\n",
    b"\r.\r",
    b"\r.\n",
    b"\n.\r",
    b"\r\n.\r",
    b"\r\n\x00.\r\n",
]


@pytest.mark.parametrize("policy", ["reject", "keep", "normalize"])
@pytest.mark.parametrize("fake_end", SMUGGLING)
def test_smuggled_end_of_data_never_ends_the_message(policy: str, fake_end: bytes) -> None:
    """RFC 5321 §4.1.1.4; catalogue SMTP-SMUGGLE-INBOUND: at most one message,
    nothing from the smuggled envelope, whatever the bare-newline policy."""
    smuggled = b"MAIL FROM:<evil@x.example>\r\nRCPT TO:<victim@l.example>\r\nDATA\r\nforged\r\n"
    server = in_data(SMTPPolicy(bare_newlines=policy))  # type: ignore[arg-type]
    events, out = serve(server, b"Subject: t\r\n\r\nx" + fake_end + smuggled + b".\r\nQUIT\r\n")
    assert not any(isinstance(e, (MailFrom, RcptTo, Data)) for e in events)
    if fake_end == b"\r\n\x00.\r\n":  # no bare newline: an ordinary (odd) line
        assert events[-3:-1] == [MessageEnd(), events[-2]]
        assert out.startswith(b"250 2.0.0 OK\r\n")
    elif policy == "reject":
        assert out.startswith(b"550 5.6.0 Message contains bare CR or bare LF\r\n")
        assert not any(isinstance(e, (MessageData, MessageEnd)) for e in events)
    else:
        end = next(e for e in events if isinstance(e, MessageEnd))
        assert end.bare_cr or end.bare_lf
        assert out.startswith(b"250 2.0.0 OK\r\n")
        text = text_of(events)
        assert b"forged" in text
        if policy == "normalize":
            assert text.count(b"\n") == text.count(b"\r\n") == text.count(b"\r")
        else:  # the dot after CRLF is a stuffed one (§4.5.2): it goes
            assert fake_end.replace(b"\r\n.", b"\r\n") in text
    assert out.endswith(b"221 2.0.0 Bye\r\n")
    assert server.state is State.CLOSED


def test_pipelined_text_and_next_transaction_in_one_segment() -> None:
    """Catalogue SMTP-SMUGGLE-PIPELINE-BDAT (DATA half): legal pipelining is two
    correct transactions."""
    server = in_data()
    events, out = serve(server, b"one\r\n.\r\n" + TRANSACTION + b"two\r\n.\r\n")
    assert [type(e).__name__ for e in events] == [
        "MessageData",
        "MessageEnd",
        "MailFrom",
        "RcptTo",
        "Data",
        "MessageData",
        "MessageEnd",
    ]
    assert out.count(b"250 2.0.0 OK\r\n") == 4


def test_oversized_message_read_to_the_end_then_552() -> None:
    """§4.5.3.1.10 / RFC 1870 §6.3: never cut the text short; 552 after it."""
    server = in_data(limits=SMTPLimits(max_message_size=100))
    events, out = serve(server, b"x" * 98 + b"\r\n" + b"y" * 5000 + b"\r\n.\r\nNOOP\r\n")
    assert out == b"552 5.3.4 Message size exceeds fixed maximum message size\r\n250 2.0.0 OK\r\n"
    assert sum(len(e.data) for e in events if isinstance(e, MessageData)) <= 100
    assert server.state is State.READY and server.mail_from is None


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("keep", b"250 2.0.0 OK\r\n"), ("reject", b"500 5.5.2 Message text line too long\r\n")],
)
def test_text_line_limit_1000_with_crlf(policy: str, expected: bytes) -> None:
    """§4.5.3.1.6: 1000 octets including CRLF must pass; longer per policy."""
    ok = b"a" * 998 + b"\r\n"
    server = in_data(SMTPPolicy(long_text_lines=policy))  # type: ignore[arg-type]
    events, out = serve(server, ok * 3 + b".\r\n")
    assert out == b"250 2.0.0 OK\r\n"
    assert events[-1] == MessageEnd()
    long = b"b" * 999 + b"\r\n"
    server = in_data(SMTPPolicy(long_text_lines=policy))  # type: ignore[arg-type]
    events, out = serve(server, ok + long + ok + b".\r\n")
    assert out == expected
    if policy == "keep":
        assert events[-1] == MessageEnd(long_lines=True)
        assert text_of(events) == ok + long + ok


def test_long_line_across_pieces_is_seen() -> None:
    server = in_data(SMTPPolicy(long_text_lines="reject"))
    for _ in range(3):
        serve(server, b"c" * 400)
    _, out = serve(server, b"\r\n.\r\n")
    assert out == b"500 5.5.2 Message text line too long\r\n"


def test_binarymime_needs_bdat() -> None:
    """RFC 3030 §3; catalogue SMTP-BINARYMIME."""
    server = greeted_server()
    _, out = serve(
        server, b"MAIL FROM:<a@x.example> BODY=BINARYMIME\r\nRCPT TO:<u@l.example>\r\nDATA\r\n"
    )
    assert out.splitlines()[-1] == b"503 5.5.1 BODY=BINARYMIME requires BDAT"


def test_bdat_chunks_are_raw_and_exact() -> None:
    """Catalogue SMTP-CHUNKING-BDAT: no dot-unstuffing, CRLF.CRLF is content."""
    pair = ready_pair()
    first = b"0123\r\n.\r\n89"
    pair.send(Bdat(len(first)), BdatChunk(first[:5]), BdatChunk(first[5:]))
    events = drain(pair.server)
    assert events[0] == Bdat(len(first))
    assert text_of(events) == first
    assert events[-1] == ChunkEnd(len(first))
    pair.reply(reply(250, f"{len(first)} octets received", "2.0.0"))
    assert pair.server.state is State.CHUNKING
    binary = bytes(range(256))
    pair.send(Bdat(256, last=True), BdatChunk(binary))
    events = drain(pair.server)
    assert text_of(events) == binary and events[-1] == ChunkEnd(256, last=True)
    pair.reply(OK)
    assert len(pair.client_events()) == 2
    assert pair.server.state is State.READY and pair.client.state is State.READY
    assert pair.client.send(ChunkEnd(256, last=True)) == b""  # the client's own record


def test_bdat_zero_last() -> None:
    server = greeted_server()
    events, out = serve(server, ENVELOPE + b"BDAT 0 LAST\r\n")
    assert events[-2:] == [Bdat(0, True), ChunkEnd(0, True)]
    assert out.endswith(b"250 2.0.0 OK\r\n")


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        (b"", b"503 5.5.1 Bad sequence of commands\r\n"),
        (b"MAIL FROM:<a@x.example>\r\n", b"250 2.0.0 OK\r\n554 5.5.1 No valid recipients\r\n"),
    ],
)
def test_refused_bdat_chunk_is_consumed_never_executed(before: bytes, expected: bytes) -> None:
    """The chunk's octets are read and dropped, so "QUIT" inside is data."""
    server = greeted_server()
    events, out = serve(server, before + b"BDAT 6\r\nQUIT\r\nNOOP\r\n")
    assert out == expected + b"250 2.0.0 OK\r\n"
    assert server.state is not State.CLOSED
    assert [type(e).__name__ for e in events][-1] == "Noop"


def test_bdat_not_advertised_is_502_and_consumed() -> None:
    server = SMTPConnection(Role.SERVER)
    server.send(reply(220, "mx"))
    server.receive_data(b"EHLO c.example\r\n")
    server.next_event()
    server.send(ehlo_reply("mx", {"PIPELINING": ()}))
    _, out = serve(server, ENVELOPE + b"BDAT 4 LAST\r\nRSET")
    assert out.endswith(b"502 5.5.1 Command not implemented\r\n")
    assert server.buffered == 0


def test_bdat_split_across_reads_and_pipelined_with_next_command() -> None:
    server = greeted_server()
    wire = ENVELOPE + b"BDAT 10 LAST\r\n0123456789NOOP\r\n"
    collected: list[object] = []
    outs = []
    for offset in range(0, len(wire), 3):
        events, out = serve(server, wire[offset : offset + 3])
        collected += events
        outs.append(out)
    assert text_of(collected) == b"0123456789"
    assert b"".join(outs).endswith(b"250 2.0.0 OK\r\n250 2.0.0 OK\r\n")


def test_failed_bdat_refuses_later_chunks_until_rset() -> None:
    """RFC 3030 §2; catalogue SMTP-CHUNKING-SEQUENCING."""
    server = greeted_server(limits=SMTPLimits(max_message_size=None))
    serve(server, ENVELOPE)
    server.receive_data(b"BDAT 3\r\nabc")
    assert server.next_event() == Bdat(3)
    drain(server)
    server.send(reply(452, "Insufficient storage", "4.3.1"))
    assert server.state is State.CHUNK_FAILED
    _, out = serve(server, b"BDAT 3 LAST\r\ndefDATA\r\nRSET\r\n" + ENVELOPE + b"BDAT 1 LAST\r\nz")
    assert out.splitlines() == [
        b"503 5.5.1 Bad sequence of commands",
        b"503 5.5.1 Bad sequence of commands",
        b"250 2.0.0 OK",
        b"250 2.0.0 OK",
        b"250 2.0.0 OK",
        b"250 2.0.0 OK",
    ]


def test_bdat_then_data_in_one_transaction_is_503() -> None:
    server = greeted_server()
    _, out = serve(server, ENVELOPE + b"BDAT 2\r\nabDATA\r\n")
    assert out.splitlines()[-1] == b"503 5.5.1 Bad sequence of commands"


def test_bdat_over_size_limit_consumed_then_552() -> None:
    server = greeted_server(limits=SMTPLimits(max_message_size=10))
    events, out = serve(
        server, ENVELOPE + b"BDAT 6\r\nabcdefBDAT 6\r\nghijklBDAT 1 LAST\r\nmNOOP\r\n"
    )
    assert out.splitlines()[-4:] == [
        b"250 2.0.0 OK",
        b"552 5.3.4 Message size exceeds fixed maximum message size",
        b"503 5.5.1 Bad sequence of commands",
        b"250 2.0.0 OK",
    ]
    assert text_of(events) == b"abcdef"
    assert server.state is State.CHUNK_FAILED
    _, out = serve(server, b"RSET\r\nBDAT 1 LAST\r\nm")
    assert out == b"250 2.0.0 OK\r\n503 5.5.1 Bad sequence of commands\r\n"


def test_client_bdat_accounting() -> None:
    pair = ready_pair()
    pair.send(Bdat(4))
    with pytest.raises(LocalProtocolError, match="beyond"):
        pair.client.send(BdatChunk(b"12345"))
    with pytest.raises(LocalProtocolError, match="finish"):
        pair.client.send(Data())
    pair.send(BdatChunk(b"1234"))
    with pytest.raises(LocalProtocolError, match="ChunkEnd"):
        pair.client.send(ChunkEnd(5))


def test_size_declared_by_mail_under_advertised_limit_is_not_framing() -> None:
    """RFC 1870 §6.3: SIZE is not the framing; the actual text decides."""
    server = greeted_server()
    _, out = serve(
        server,
        b"MAIL FROM:<a@x.example> SIZE=100\r\nRCPT TO:<u@l.example>\r\nDATA\r\n"
        + b"z" * 10_000
        + b"\r\n.\r\n",
    )
    assert out.endswith(b"354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 OK\r\n")


def test_data_refusal_exception_leaves_session_usable() -> None:
    server = in_data()
    server.receive_data(b"bare\nlf\r\n.\r\n")
    with pytest.raises(RemoteProtocolError) as caught:
        for _ in range(5):
            server.next_event()
    assert caught.value.reply == b"550 5.6.0 Message contains bare CR or bare LF\r\n"
    assert server.state is State.READY
    _, out = serve(server, ENVELOPE)
    assert out == b"250 2.0.0 OK\r\n" * 2
    assert server.mail_from == MailFrom(Path(Address("a", "x.example")), MailParams())
