"""Sub-dialogues with real bytes: literals (sync, LITERAL+, LITERAL-, refusal),
IDLE, AUTHENTICATE and STARTTLS injection."""

from __future__ import annotations

import pytest
from imap_pair import Pair

from harness.protocols.common import NEED_DATA, LocalProtocolError, RemoteProtocolError
from harness.protocols.imap import (
    Append,
    Authenticate,
    AuthenticateChallenge,
    AuthenticationCancel,
    AuthenticationData,
    CapabilityResponse,
    Continuation,
    ExistsResponse,
    Idle,
    IdleDone,
    IMAPLimits,
    LiteralRequest,
    Login,
    Noop,
    StartTLS,
    State,
    TaggedResponse,
)


def authenticated(pair: Pair) -> Pair:
    pair.server.state = pair.client.state = State.AUTHENTICATED
    return pair


# -- literals ------------------------------------------------------------------


def test_sync_literals_wait_for_each_continuation() -> None:
    """RFC 3501 §7.5's example: LOGIN {11} ... FRED FOOBAR {7} ... fat man."""
    pair = Pair()
    first = pair.to_server(Login("A001", "FRED FOOBAR", "fat man\r\n"))
    assert first == b'A001 LOGIN "FRED FOOBAR" {9}\r\n'
    assert pair.client.awaiting_continuation
    with pytest.raises(LocalProtocolError):
        pair.client.send(Noop("A002"))  # the command is not finished
    assert pair.server_events() == [LiteralRequest("A001", 9, command="LOGIN")]
    assert pair.server.next_event() is NEED_DATA  # until the application decides
    pair.to_client(Continuation("Ready for additional command text"))
    assert pair.client_events() == [Continuation("Ready for additional command text")]
    assert pair.continue_literal() == b"fat man\r\n\r\n"
    assert pair.server_events() == [Login("A001", "FRED FOOBAR", "fat man\r\n")]
    assert pair.client.phase is None


def test_refused_literal_sends_no_octets_and_framing_resumes() -> None:
    """RFC 3501 §7.5: "A044 BLURDYBLOOP {102856}" answered with a tagged BAD."""
    pair = authenticated(Pair())
    pair.to_server(Append("A044", "INBOX", b"x" * 102856))
    assert pair.server_events() == [LiteralRequest("A044", 102856, command="APPEND")]
    pair.to_client(TaggedResponse("A044", "NO", "too big"))
    assert pair.client_events() == [TaggedResponse("A044", "NO", "too big")]
    with pytest.raises(LocalProtocolError):
        pair.client.continue_literal()
    assert pair.client.phase is None and not pair.client.pending
    pair.to_server(Noop("A045"))
    assert pair.server_events() == [Noop("A045")]


def test_oversized_sync_literal_is_refused_by_the_core() -> None:
    pair = authenticated(Pair(server_limits=IMAPLimits(max_literal=1000)))
    pair.raw_to_server(b"A1 APPEND INBOX {999999999999}\r\nA2 NOOP\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        pair.server.next_event()
    assert info.value.reply == b"A1 NO [TOOBIG] literal too big\r\n"
    assert not info.value.fatal
    assert pair.server_events() == [Noop("A2")]


def test_oversized_nonsync_literal_is_skipped_never_parsed() -> None:
    """The octets of a refused {n+} literal arrive anyway: they must not run."""
    pair = authenticated(Pair(server_limits=IMAPLimits(max_literal=10)))
    smuggled = b"A9 LOGOUT\r\n" * 5
    pair.raw_to_server(b"A1 APPEND INBOX {%d+}\r\n" % len(smuggled))
    pair.raw_to_server(smuggled[:20])
    with pytest.raises(RemoteProtocolError) as info:
        pair.server.next_event()
    assert info.value.reply == b"A1 BAD [TOOBIG] literal too big\r\n"
    pair.raw_to_server(smuggled[20:] + b" {3+}\r\nabc\r\nA2 NOOP\r\n")
    assert pair.server_events() == [Noop("A2")]


def test_literal_minus_caps_nonsync_literals() -> None:
    """RFC 7888 §5: with LITERAL- a non-synchronising literal over 4096 is BAD [TOOBIG]."""
    pair = authenticated(Pair(server_limits=IMAPLimits(max_nonsync_literal=4096)))
    pair.to_client(CapabilityResponse(("IMAP4rev1", "LITERAL-")))
    pair.client_events()
    small = pair.to_server(Append("A1", "INBOX", b"y" * 4000))
    assert small.startswith(b"A1 APPEND INBOX {4000+}\r\n")
    assert pair.server_events() == [Append("A1", "INBOX", b"y" * 4000)]
    big = pair.client.send(Append("A2", "INBOX", b"z" * 5000))
    assert big == b"A2 APPEND INBOX {5000}\r\n"  # over 4096: synchronising after all
    pair.server.receive_data(b"A3 APPEND INBOX {5000+}\r\n" + b"z" * 5000 + b"\r\nA4 NOOP\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        pair.server.next_event()
    assert info.value.reply == b"A3 BAD [TOOBIG] non-synchronising literal too big\r\n"
    assert pair.server_events() == [Noop("A4")]


def test_literal_plus_login_in_one_write() -> None:
    """RFC 7888 §3 / catalogue IMAP-LITERAL-PLUS: no "+" round trips at all."""
    pair = Pair()
    pair.to_client(CapabilityResponse(("IMAP4rev1", "LITERAL+")))
    pair.client_events()
    wire = pair.to_server(Login("a", "us\ner", "pa\rss"))
    assert wire == b"a LOGIN {5+}\r\nus\ner {5+}\r\npa\rss\r\n"
    assert not pair.client.awaiting_continuation
    assert pair.server_events() == [Login("a", "us\ner", "pa\rss")]


def test_literal8_append_carries_nul() -> None:
    pair = authenticated(Pair())
    pair.to_client(CapabilityResponse(("IMAP4rev2", "LITERAL+")))
    pair.client_events()
    wire = pair.to_server(Append("b", "INBOX", b"a\x00b", binary=True))
    assert wire == b"b APPEND INBOX ~{3+}\r\na\x00b\r\n"
    assert pair.server_events() == [Append("b", "INBOX", b"a\x00b", binary=True)]
    pair.raw_to_server(b"c APPEND INBOX {3+}\r\na\x00b\r\n")  # NUL in a plain literal
    with pytest.raises(RemoteProtocolError) as info:
        pair.server.next_event()
    assert info.value.reply is not None and info.value.reply.startswith(b"c BAD ")


def test_peer_closing_inside_a_literal_is_fatal() -> None:
    pair = authenticated(Pair())
    pair.raw_to_server(b"a APPEND INBOX {10+}\r\nabc")
    assert pair.server.next_event() is NEED_DATA
    pair.server.receive_data(b"")
    with pytest.raises(RemoteProtocolError) as info:
        pair.server.next_event()
    assert info.value.fatal


# -- IDLE ----------------------------------------------------------------------


def test_idle_exchange_and_lowercase_done() -> None:
    pair = authenticated(Pair())
    pair.to_server(Idle("A002"))
    assert pair.server_events() == [Idle("A002")]
    pair.raw_to_server(b"done\r\n")  # too early: the server has not said "+"
    assert pair.server.next_event() is NEED_DATA
    with pytest.raises(LocalProtocolError):
        pair.client.send(IdleDone())
    pair.to_client(Continuation("idling"))
    assert pair.client_events() == [Continuation("idling")]
    assert pair.server_events() == [IdleDone()]
    pair.to_client(ExistsResponse(4), TaggedResponse("A002", "OK", "IDLE terminated"))
    assert pair.client_events() == [
        ExistsResponse(4),
        TaggedResponse("A002", "OK", "IDLE terminated"),
    ]


def test_idle_client_side_done_and_pipelining() -> None:
    pair = authenticated(Pair())
    pair.to_server(Idle("i"))
    pair.server_events()
    pair.to_client(Continuation("idling"))
    pair.client_events()
    with pytest.raises(LocalProtocolError):
        pair.client.send(Noop("n"))  # nothing but DONE while idling
    assert pair.to_server(IdleDone(), Noop("n")) == b"DONE\r\nn NOOP\r\n"
    assert pair.server_events() == [IdleDone(), Noop("n")]


def test_anything_but_done_ends_idle_with_bad() -> None:
    pair = authenticated(Pair())
    pair.raw_to_server(b"i IDLE\r\n")
    pair.server_events()
    pair.server.send(Continuation("idling"))
    pair.raw_to_server(b"x NOOP\r\ny NOOP\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        pair.server.next_event()
    assert info.value.reply == b"i BAD expected DONE to end IDLE\r\n"
    assert pair.server_events() == [Noop("y")]


# -- AUTHENTICATE --------------------------------------------------------------


def test_authenticate_plain_with_empty_challenge() -> None:
    """Catalogue IMAP-AUTH-PLAIN: "+ " (a plus and a space), then the response."""
    pair = Pair()
    assert pair.to_server(Authenticate("a", "PLAIN")) == b"a AUTHENTICATE PLAIN\r\n"
    assert pair.server_events() == [Authenticate("a", "PLAIN")]
    assert pair.to_client(AuthenticateChallenge(b"")) == b"+ \r\n"
    assert pair.client_events() == [AuthenticateChallenge(b"")]
    assert pair.to_server(AuthenticationData(b"\0u\0p")) == b"AHUAcA==\r\n"
    assert pair.server_events() == [AuthenticationData(b"\0u\0p")]
    pair.to_client(TaggedResponse("a", "OK", "done"))
    pair.client_events()
    assert pair.client.state is pair.server.state is State.AUTHENTICATED


def test_authenticate_cancel_and_sasl_ir_equals() -> None:
    pair = Pair()
    assert pair.to_server(Authenticate("a", "PLAIN", b"")) == b"a AUTHENTICATE PLAIN =\r\n"
    assert pair.server_events() == [Authenticate("a", "PLAIN", b"")]
    pair.to_client(Continuation(""))
    assert pair.client_events() == [AuthenticateChallenge(b"")]
    assert pair.to_server(AuthenticationCancel()) == b"*\r\n"
    assert pair.server_events() == [AuthenticationCancel()]
    pair.to_client(TaggedResponse("a", "BAD", "cancelled"))
    pair.client_events()
    assert pair.server.state is State.NOT_AUTHENTICATED and pair.server.phase is None


def test_authenticate_bad_base64_is_tagged_bad() -> None:
    pair = Pair()
    pair.raw_to_server(b"a AUTHENTICATE PLAIN\r\n")
    pair.server_events()
    pair.server.send(AuthenticateChallenge(b""))
    pair.raw_to_server(b"not base64!\r\nb NOOP\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        pair.server.next_event()
    assert info.value.reply == b"a BAD invalid base64\r\n"
    assert pair.server_events() == [Noop("b")]
    assert pair.server.state is State.NOT_AUTHENTICATED


# -- STARTTLS ------------------------------------------------------------------


def test_starttls_injection_is_dropped_by_the_server() -> None:
    """Catalogue IMAP-STARTTLS-INJECTION: "b" must not be answered inside TLS."""
    pair = Pair()
    pair.raw_to_server(b"a STARTTLS\r\nb CAPABILITY\r\n")
    assert pair.server_events() == [StartTLS("a")]  # nothing more until the answer
    pair.server.send(TaggedResponse("a", "OK", "Begin TLS"))
    assert pair.server.injected == b"b CAPABILITY\r\n"
    pair.server.receive_data(b"c LOGOUT\r\n")  # still before the handshake finished
    assert pair.server.next_event() is NEED_DATA
    assert pair.server.injected_octets == len(b"b CAPABILITY\r\nc LOGOUT\r\n")
    pair.server.start_tls()
    assert pair.server.next_event() is NEED_DATA
    pair.server.receive_data(b"d CAPABILITY\r\n")
    assert [type(e).__name__ for e in pair.server_events()] == ["Capability"]


def test_starttls_response_injection_is_dropped_by_the_client() -> None:
    pair = Pair()
    pair.to_server(StartTLS("a"))
    pair.client.receive_data(b"a OK go\r\n* OK [ALERT] injected\r\n")
    assert pair.client_events() == [TaggedResponse("a", "OK", "go")]
    assert pair.client.injected == b"* OK [ALERT] injected\r\n"
    with pytest.raises(LocalProtocolError):
        pair.client.send(Noop("b"))
    pair.client.start_tls()
    pair.to_server(Noop("b"))


def test_starttls_refused_or_repeated() -> None:
    pair = Pair()
    pair.to_server(StartTLS("a"))
    pair.server_events()
    pair.to_client(TaggedResponse("a", "NO", "not now"))
    pair.client_events()
    with pytest.raises(LocalProtocolError):
        pair.server.start_tls()
    pair.to_server(StartTLS("b"))
    pair.server_events()
    pair.to_client(TaggedResponse("b", "OK", "go"))
    pair.client_events()
    pair.server.start_tls()
    pair.client.start_tls()
    pair.raw_to_server(b"c STARTTLS\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        pair.server.next_event()
    assert info.value.reply is not None and info.value.reply.startswith(b"c BAD ")


@pytest.mark.parametrize(
    ("wire", "reply"),
    [
        (b"a APPEND INBOX {5}\r\n", b"a BAD APPEND is not valid in this state\r\n"),
        (b"a BLURDYBLOOP {102856}\r\n", b"a BAD BLURDYBLOOP is not valid in this state\r\n"),
        (b"* LOGIN {5}\r\n", b"* BAD command is not valid in this state\r\n"),
    ],
)
def test_literals_of_doomed_commands_are_refused_without_asking(wire: bytes, reply: bytes) -> None:
    """RFC 3501 §7.5's BLURDYBLOOP: no "+" for a command that cannot run."""
    pair = Pair()
    pair.raw_to_server(wire + b"b NOOP\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        pair.server.next_event()
    assert info.value.reply == reply
    assert pair.server_events() == [Noop("b")]


def test_overlong_line_inside_idle_ends_the_idle_with_its_tag() -> None:
    pair = authenticated(Pair(server_limits=IMAPLimits(max_line=64)))
    pair.raw_to_server(b"i IDLE\r\n")
    pair.server_events()
    pair.server.send(Continuation("idling"))
    pair.raw_to_server(b"zz " + b"x" * 100)
    with pytest.raises(RemoteProtocolError) as info:
        pair.server.next_event()
    assert info.value.reply == b"i BAD line too long\r\n"
    assert pair.server.phase is None and not pair.server.pending
    pair.raw_to_server(b"xx\r\nn NOOP\r\n")
    assert pair.server_events() == [Noop("n")]
