"""Hypothesis: what one core emits the other parses back to an equal event, at
any segmentation; arbitrary bytes into either role give only events,
NEED_DATA or RemoteProtocolError, in bounded memory."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from smtp_pair import OK, Pair, default_answer, drain

from harness.protocols.common import NEED_DATA, LocalProtocolError, RemoteProtocolError, Role
from harness.protocols.smtp import (
    NULL_PATH,
    Address,
    Auth,
    AuthLine,
    Bdat,
    BdatChunk,
    ChunkEnd,
    CommandParser,
    ConnectionClosed,
    Data,
    Ehlo,
    EnhancedStatus,
    Event,
    Expn,
    Helo,
    Help,
    MailFrom,
    MailParams,
    MessageData,
    MessageEnd,
    Noop,
    Path,
    Quit,
    RcptParams,
    RcptTo,
    Reply,
    ReplyDecoder,
    Rset,
    SMTPConnection,
    SMTPLimits,
    SMTPPolicy,
    StartTLS,
    State,
    Vrfy,
    auth_challenge,
    format_command,
    format_reply,
    reply,
)
from harness.protocols.smtp.grammar import FAST_TO_RE, PATH_RE

FAST = settings(max_examples=200, deadline=None)

# -- values ----------------------------------------------------------------

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
labels = st.builds(
    lambda a, mid, b: a + mid + b if mid else a,
    st.text(_ALNUM + "éü", min_size=1, max_size=3),
    st.text(_ALNUM + "-", max_size=5).map(lambda s: s and s + "x"),
    st.text(_ALNUM, min_size=1, max_size=2),
)
domains = st.lists(labels, min_size=1, max_size=4).map(".".join)
ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: "[" + ".".join(map(str, t)) + "]")
ipv6 = st.sampled_from(["[IPv6:2001:db8::1]", "[IPv6:::1]", "[IPv6:fe80::a:b:c:d]"])
domain_or_literal = st.one_of(domains, domains, ipv4, ipv6)
printable = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
local_parts = st.one_of(
    st.from_regex(
        r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,8}(\.[A-Za-z0-9_-]{1,6}){0,2}", fullmatch=True
    ),
    st.text(printable, max_size=12),  # quoted when not a Dot-string
    st.text("δοκιμήé", min_size=1, max_size=6),
)
addresses = st.builds(Address, local_parts, domain_or_literal)
paths = st.builds(Path, addresses, st.lists(domains, max_size=2).map(tuple))
esmtp_values = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters="="),
    min_size=1,
    max_size=10,
)
extra = st.lists(
    st.tuples(st.from_regex(r"X-[A-Z0-9]{1,6}", fullmatch=True), st.none() | esmtp_values),
    max_size=2,
    unique_by=lambda kv: kv[0],
).map(tuple)
xtext_source = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=30
)
mail_params = st.builds(
    MailParams,
    size=st.none() | st.integers(0, 10**19),
    body=st.none() | st.sampled_from(["7BIT", "8BITMIME", "BINARYMIME"]),
    smtputf8=st.booleans(),
    ret=st.none() | st.sampled_from(["FULL", "HDRS"]),
    envid=st.none() | xtext_source,
    auth=st.none() | st.just("<>") | st.text(min_size=1, max_size=20).filter(lambda s: s != "<>"),
    extra=extra,
)
notify = st.one_of(
    st.just(("NEVER",)),
    st.lists(
        st.sampled_from(["SUCCESS", "FAILURE", "DELAY"]), min_size=1, max_size=3, unique=True
    ).map(tuple),
)
rcpt_params = st.builds(
    RcptParams,
    notify=st.none() | notify,
    orcpt=st.none() | st.tuples(st.sampled_from(["rfc822", "utf-8"]), xtext_source),
    extra=extra,
)
# Trailing SP/HTAB is left out: RFC 5321 §4.1.1 lets the receiver drop it, so
# such a text cannot round-trip (the client core refuses to send it).
free_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.just("\t"), max_size=30
).map(lambda text: text.rstrip(" \t"))
commands = st.one_of(
    st.builds(Ehlo, domain_or_literal),
    st.builds(Helo, domain_or_literal),
    st.builds(MailFrom, st.one_of(st.just(NULL_PATH), paths), mail_params),
    st.builds(RcptTo, paths, rcpt_params),
    st.just(Data()),
    st.just(Rset()),
    st.just(Quit()),
    st.just(StartTLS()),
    st.builds(Noop, free_text),
    st.builds(Help, free_text),
    st.builds(Vrfy, free_text.filter(bool)),
    st.builds(Expn, free_text.filter(bool)),
    st.builds(Bdat, st.integers(0, 10**12), st.booleans()),
    st.builds(
        Auth, st.from_regex(r"[A-Z0-9_-]{1,20}", fullmatch=True), st.none() | st.binary(max_size=40)
    ),
)


def enhanced_for(code: int) -> st.SearchStrategy[EnhancedStatus | None]:
    if code // 100 == 3:
        return st.none()
    return st.none() | st.builds(
        EnhancedStatus, st.just(code // 100), st.integers(0, 999), st.integers(0, 999)
    )


reply_text = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.sampled_from("\té€"), max_size=40
)
reply_codes = st.builds(
    lambda a, b, c: 100 * a + 10 * b + c, st.integers(2, 5), st.integers(0, 5), st.integers(0, 9)
)
replies = reply_codes.flatmap(
    lambda code: st.builds(
        Reply,
        st.just(code),
        st.lists(reply_text.filter(lambda t: not t[:1].isdigit()), min_size=1, max_size=4).map(
            tuple
        ),
        enhanced_for(code),
    )
)


# -- round trips -----------------------------------------------------------


@FAST
@given(st.one_of(paths.map(str), st.text(st.sampled_from('<>@.a-"[]:,!é '), max_size=20)))
def test_fast_path_regex_agrees_with_the_grammar(text: str) -> None:
    """The MAIL/RCPT fast path only ever accepts what PATH_RE accepts, with the same parts."""
    fast = FAST_TO_RE.match(" TO:" + text)
    if fast is not None:
        full = PATH_RE.match(text)
        assert full is not None
        assert full.end() == fast.end() - 4
        assert (full["local"], full["domain"], full["adl"]) == (fast[1], fast[2], None)


@FAST
@given(commands)
def test_every_command_round_trips_through_the_grammar(event: Event) -> None:
    big = SMTPLimits(max_local_part=1000, max_domain=1000, max_path=1000)
    parser = CommandParser(big, SMTPPolicy(strict_envelope=True), any_param=True)
    wire = format_command(event)
    assert parser.parse(wire) == event
    client = SMTPConnection(Role.CLIENT)
    client.receive_data(b"220 mx\r\n")
    client.next_event()
    assert client.send(event) == wire  # the client core's own check agrees


@FAST
@given(commands, st.text(" \t", min_size=1, max_size=4))
def test_trailing_white_space_after_any_command_is_ignored(event: Event, blanks: str) -> None:
    """RFC 5321 §4.1.1: receivers SHOULD tolerate trailing white space before CRLF."""
    big = SMTPLimits(max_local_part=1000, max_domain=1000, max_path=1000)
    parser = CommandParser(big, SMTPPolicy(strict_envelope=True), any_param=True)
    wire = format_command(event)
    assert parser.parse(wire[:-2] + blanks.encode() + b"\r\n") == event


def test_client_refuses_text_the_server_would_read_without_its_trailing_blank() -> None:
    client = SMTPConnection(Role.CLIENT)
    client.receive_data(b"220 mx\r\n")
    client.next_event()
    with pytest.raises(LocalProtocolError, match="would be read as"):
        client.send(Noop("text "))


@FAST
@given(replies, st.integers(1, 7))
def test_every_reply_round_trips_at_any_segmentation(event: Reply, step: int) -> None:
    wire = format_reply(event)
    decoder = ReplyDecoder()
    got = []
    for offset in range(0, len(wire), step):
        decoder.feed(wire[offset : offset + step])
        while (parsed := decoder.next_reply()) is not None:
            got.append(parsed)
    assert got == [event]


bodies = st.lists(
    st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"\r\n")), max_size=6
)


@FAST
@given(
    st.lists(paths, min_size=1, max_size=3),
    mail_params.map(
        lambda p: MailParams(
            size=None,
            body=p.body if p.body != "BINARYMIME" else None,
            smtputf8=True,
            ret=p.ret,
            envid=p.envid,
            auth=p.auth,
        )
    ),
    bodies,
    st.integers(1, 9),
)
def test_session_round_trips_through_both_cores(
    recipients: list[Path], params: MailParams, pieces: list[bytes], step: int
) -> None:
    pair = Pair()
    pair.ehlo()
    sent: list[Event] = [MailFrom(NULL_PATH, params), *(RcptTo(path) for path in recipients)]
    for event in sent:
        pair.exchange(event)
    pair.exchange(Data())
    wire = b"".join(pair.client.send(MessageData(piece)) for piece in pieces) + pair.client.send(
        MessageEnd()
    )
    received: list[Event] = []
    for offset in range(0, len(wire), step):  # the server reads it in small steps
        pair.server.receive_data(wire[offset : offset + step])
        received += drain(pair.server)
    body = b"".join(pieces)
    expected = body + b"\r\n" if body and not body.endswith(b"\r\n") else body
    assert b"".join(e.data for e in received if isinstance(e, MessageData)) == expected
    assert received[-1] == MessageEnd()
    pair.reply(OK)
    assert pair.client_events() == [OK]


@FAST
@given(st.lists(st.binary(max_size=30), min_size=1, max_size=5), st.integers(1, 11))
def test_bdat_chunks_round_trip(chunks: list[bytes], step: int) -> None:
    pair = Pair()
    pair.ehlo()
    pair.exchange(MailFrom(NULL_PATH, MailParams(body="BINARYMIME")))
    pair.exchange(RcptTo(Path(Address("u", "l.example"))))
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        wire = pair.client.send(Bdat(len(chunk), last)) + pair.client.send(BdatChunk(chunk))
        received: list[Event] = []
        for offset in range(0, len(wire), step):
            pair.server.receive_data(wire[offset : offset + step])
            received += drain(pair.server)
        assert received[0] == Bdat(len(chunk), last)
        assert b"".join(e.data for e in received if isinstance(e, BdatChunk)) == chunk
        assert received[-1] == ChunkEnd(len(chunk), last)
        assert pair.client.send(ChunkEnd(len(chunk), last)) == b""
        pair.reply(OK)
        assert pair.client_events() == [OK]
    assert pair.server.state is State.READY


@FAST
@given(st.lists(st.binary(max_size=50), min_size=1, max_size=4), st.booleans())
def test_auth_lines_round_trip(responses: list[bytes], cancel: bool) -> None:
    pair = Pair()
    pair.ehlo()
    pair.exchange(Auth("PLAIN"), auth_challenge(b""))
    for data in responses[:-1]:
        pair.exchange(AuthLine(data), auth_challenge(data[::-1]))
    last = AuthLine(cancelled=True) if cancel else AuthLine(responses[-1])
    pair.exchange(last, default_answer(last))
    assert pair.server.authenticated is not cancel


@FAST
@given(st.lists(replies, min_size=1, max_size=5))
def test_pipelined_replies_match_commands(answers: list[Reply]) -> None:
    pair = Pair()
    pair.send(*[Noop(str(i)) for i in range(len(answers))])
    for index, answer in enumerate(answers):
        assert pair.server_event() == Noop(str(index))
        if answer.code // 100 == 3 or answer.code == 421:
            answer = OK
        pair.reply(answer)
    got = pair.client_events()
    assert [format_reply(r) for r in got] == [
        format_reply(a if a.code // 100 != 3 and a.code != 421 else OK) for a in answers
    ]


# -- fuzzing ---------------------------------------------------------------

FRAGMENTS = [
    b"EHLO c.example\r\n",
    b"HELO c\r\n",
    b"MAIL FROM:<a@b.example>\r\n",
    b"MAIL FROM:<>\r\n",
    b"RCPT TO:<u@l.example>\r\n",
    b"DATA\r\n",
    b"BDAT 5\r\n",
    b"BDAT 3 LAST\r\n",
    b"BDAT x\r\n",
    b".\r\n",
    b"\r\n.\r\n",
    b"..\r\n",
    b"\r\n",
    b"\n",
    b"\r",
    b".",
    b"AUTH LOGIN\r\n",
    b"AUTH PLAIN =\r\n",
    b"*\r\n",
    b"dXNlcg==\r\n",
    b"STARTTLS\r\n",
    b"RSET\r\n",
    b"NOOP\r\n",
    b"QUIT\r\n",
    b"\x00",
    b"\xff\xfe",
    "é".encode(),
]
streams = st.lists(st.one_of(st.binary(max_size=60), st.sampled_from(FRAGMENTS)), max_size=40).map(
    b"".join
)


def fuzz_answer(event: Event, turn: int) -> Reply:
    if isinstance(event, (Auth, AuthLine)) and not (
        isinstance(event, AuthLine) and event.cancelled
    ):
        return auth_challenge(b"next") if turn % 3 else reply(535, "no", "5.7.8")
    if isinstance(event, (MailFrom, RcptTo, ChunkEnd)) and turn % 4 == 0:
        return reply(550, "refused", "5.0.0")
    return default_answer(event)


@FAST
@given(streams, st.integers(1, 64), st.booleans())
def test_server_survives_any_bytes(data: bytes, step: int, ehlo: bool) -> None:
    limits = SMTPLimits(
        max_command_line=64, max_envelope_line=80, max_auth_line=96, max_message_size=200
    )
    server = SMTPConnection(Role.SERVER, limits, SMTPPolicy(bare_newlines="keep"))
    server.send(reply(220, "mx"))
    if ehlo:
        server.receive_data(b"EHLO c.example\r\n")
        server.send(default_answer(server.next_event()))  # type: ignore[arg-type]
    turn = 0
    for offset in range(0, len(data) + 1, step):
        chunk = data[offset : offset + step]
        server.receive_data(chunk if chunk else b"")
        for _ in range(10_000):
            if server.state is State.STARTTLS:
                server.start_tls()
            try:
                event = server.next_event()
            except RemoteProtocolError as exc:
                assert exc.reply is not None and exc.reply[:1] in b"45"
                if exc.fatal:
                    return
                continue
            if event is NEED_DATA or isinstance(event, ConnectionClosed):
                break
            assert isinstance(event, Event)
            if server.awaiting_reply is not None:
                turn += 1
                server.send(fuzz_answer(event, turn))
        else:
            raise AssertionError("no NEED_DATA")
        assert server.buffered <= limits.max_line
        if not chunk:
            return


@FAST
@given(
    streams,
    st.lists(
        commands.filter(lambda e: not isinstance(e, (Bdat, StartTLS, Quit, Data, Auth))), max_size=5
    ),
    st.integers(1, 64),
)
def test_client_survives_any_bytes(data: bytes, sent: list[Event], step: int) -> None:
    limits = SMTPLimits(max_reply_line=100, max_reply_lines=5)
    client = SMTPConnection(Role.CLIENT, limits)
    client.receive_data(b"220 mx\r\n")
    client.next_event()
    for event in sent:
        client.send(event)
    for offset in range(0, len(data), step):
        client.receive_data(data[offset : offset + step])
        for _ in range(10_000):
            if client.state is State.STARTTLS:
                client.start_tls()
            try:
                event = client.next_event()
            except RemoteProtocolError as exc:
                if exc.fatal:
                    return
                continue
            if event is NEED_DATA or isinstance(event, ConnectionClosed):
                break
            assert isinstance(event, Reply)
        else:
            raise AssertionError("no NEED_DATA")
        assert client.buffered <= limits.max_reply_line
