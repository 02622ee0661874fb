"""Whole sessions, client core against server core, with the RFC's own bytes.

RFC 3501 §8 and RFC 9051 §8 print a sample session; the server's lines here
are compared byte for byte with what the server core writes from typed
events, and the client's lines (lower case, as printed) are fed to the server
core as raw bytes.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from imap_pair import Pair

from harness.protocols.common import NEED_DATA, RemoteProtocolError
from harness.protocols.imap import (
    Address,
    Authenticate,
    AuthenticateChallenge,
    AuthenticationData,
    BodyPart,
    BodySection,
    Enable,
    EnabledResponse,
    Envelope,
    ExistsResponse,
    Fetch,
    FetchResponse,
    FlagsResponse,
    ListResponse,
    Login,
    Logout,
    RecentResponse,
    ResponseCode,
    Section,
    Select,
    SequenceSet,
    StartTLS,
    State,
    Store,
    TaggedResponse,
    UntaggedStatus,
)
from harness.protocols.imap.fetch import FetchSection

HEADER_342 = (
    b"Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
    b"From: Terry Gray <gray@cac.washington.edu>\r\n"
    b"Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
    b"To: imap@cac.washington.edu\r\n"
    b"cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n"
    b"Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
    b"\r\n"
)
GRAY = (Address("Terry Gray", None, "gray", "cac.washington.edu"),)
ENVELOPE = Envelope(
    "Wed, 17 Jul 1996 02:23:25 -0700 (PDT)",
    "IMAP4rev1 WG mtg summary and minutes",
    GRAY,
    GRAY,
    GRAY,
    (Address(None, None, "imap", "cac.washington.edu"),),
    (
        Address(None, None, "minutes", "CNRI.Reston.VA.US"),
        Address("John Klensin", None, "KLENSIN", "MIT.EDU"),
    ),
    None,
    None,
    "<B27397-0100000@cac.washington.edu>",
)
FULL_12 = FetchResponse(
    12,
    flags=("\\Seen",),
    internal_date=datetime(1996, 7, 17, 2, 44, 25, tzinfo=timezone(timedelta(hours=-7))),
    rfc822_size=4286,
    envelope=ENVELOPE,
    body=BodyPart("TEXT", "PLAIN", (("CHARSET", "US-ASCII"),), None, None, "7BIT", 3028, 92),
)
FULL_12_WIRE = (
    b'* 12 FETCH (FLAGS (\\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" '
    b'RFC822.SIZE 4286 ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" '
    b'"IMAP4rev1 WG mtg summary and minutes" '
    b'(("Terry Gray" NIL "gray" "cac.washington.edu")) '
    b'(("Terry Gray" NIL "gray" "cac.washington.edu")) '
    b'(("Terry Gray" NIL "gray" "cac.washington.edu")) '
    b'((NIL NIL "imap" "cac.washington.edu")) '
    b'((NIL NIL "minutes" "CNRI.Reston.VA.US")'
    b'("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL '
    b'"<B27397-0100000@cac.washington.edu>") '
    b'BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))\r\n'
)

# (client bytes as printed in RFC 3501 §8, the command the server must see,
#  then (event, exact bytes) for each server line)
RFC3501_SESSION = [
    (
        b"a001 login mrc secret\r\n",
        Login("a001", "mrc", "secret"),
        [(TaggedResponse("a001", "OK", "LOGIN completed"), b"a001 OK LOGIN completed\r\n")],
    ),
    (
        b"a002 select inbox\r\n",
        Select("a002", "INBOX"),
        [
            (ExistsResponse(18), b"* 18 EXISTS\r\n"),
            (
                FlagsResponse(("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")),
                b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
            ),
            (RecentResponse(2), b"* 2 RECENT\r\n"),
            (
                UntaggedStatus(
                    "OK", "Message 17 is the first unseen message", ResponseCode("UNSEEN", 17)
                ),
                b"* OK [UNSEEN 17] Message 17 is the first unseen message\r\n",
            ),
            (
                UntaggedStatus("OK", "UIDs valid", ResponseCode("UIDVALIDITY", 3857529045)),
                b"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n",
            ),
            (
                TaggedResponse("a002", "OK", "SELECT completed", ResponseCode("READ-WRITE")),
                b"a002 OK [READ-WRITE] SELECT completed\r\n",
            ),
        ],
    ),
    (
        b"a003 fetch 12 full\r\n",
        Fetch("a003", SequenceSet.of(12), macro="FULL"),
        [
            (FULL_12, FULL_12_WIRE),
            (TaggedResponse("a003", "OK", "FETCH completed"), b"a003 OK FETCH completed\r\n"),
        ],
    ),
    (
        b"a004 fetch 12 body[header]\r\n",
        Fetch("a004", SequenceSet.of(12), (FetchSection("BODY", Section((), "HEADER")),)),
        [
            (
                FetchResponse(
                    12, sections=(BodySection("BODY", Section((), "HEADER"), HEADER_342),)
                ),
                b"* 12 FETCH (BODY[HEADER] {342}\r\n" + HEADER_342 + b")\r\n",
            ),
            (TaggedResponse("a004", "OK", "FETCH completed"), b"a004 OK FETCH completed\r\n"),
        ],
    ),
    (
        b"a005 store 12 +flags \\deleted\r\n",
        Store("a005", SequenceSet.of(12), "+", ("\\deleted",)),
        [
            (
                FetchResponse(12, flags=("\\Seen", "\\Deleted")),
                b"* 12 FETCH (FLAGS (\\Seen \\Deleted))\r\n",
            ),
            (TaggedResponse("a005", "OK", "+FLAGS completed"), b"a005 OK +FLAGS completed\r\n"),
        ],
    ),
    (
        b"a006 logout\r\n",
        Logout("a006"),
        [
            (
                UntaggedStatus("BYE", "IMAP4rev1 server terminating connection"),
                b"* BYE IMAP4rev1 server terminating connection\r\n",
            ),
            (TaggedResponse("a006", "OK", "LOGOUT completed"), b"a006 OK LOGOUT completed\r\n"),
        ],
    ),
]


@pytest.mark.parametrize("chunk", [0, 1, 7])
def test_rfc3501_section8_session(chunk: int) -> None:
    pair = Pair(chunk=chunk)
    greeting = UntaggedStatus("OK", "IMAP4rev1 Service Ready")
    assert pair.to_client(greeting) == b"* OK IMAP4rev1 Service Ready\r\n"
    assert pair.client_events() == [greeting]
    for client_bytes, command, replies in RFC3501_SESSION:
        pair.raw_to_server(client_bytes)
        assert pair.server_events() == [command]
        for event, wire in replies:
            assert pair.to_client(event) == wire
        assert pair.client_events() == [event for event, _ in replies]
    assert pair.server.state is State.LOGOUT


def test_rfc3501_session_from_the_client_core() -> None:
    """The same commands, written by the client core, parse to the same events."""
    pair = Pair()
    pair.client.state = State.NOT_AUTHENTICATED
    for _, command, replies in RFC3501_SESSION:
        pair.to_server(command)
        assert pair.server_events() == [command]
        for event, _ in replies:
            pair.to_client(event)
        assert pair.client_events() == [event for event, _ in replies]
        assert pair.client.state is pair.server.state
    assert not pair.client.pending and not pair.server.pending


def test_client_accepts_a_space_between_addresses() -> None:
    """The RFC's sample breaks the cc list across lines; some servers put a SP there."""
    pair = Pair()
    spaced = FULL_12_WIRE.replace(b'"CNRI.Reston.VA.US")(', b'"CNRI.Reston.VA.US") (')
    pair.client.receive_data(spaced)
    assert pair.client_events() == [FULL_12]


SCRAM_FIRST = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
SCRAM_SERVER_FIRST = (
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
)
SCRAM_FINAL = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
SCRAM_SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_rfc9051_section8_session() -> None:
    """RFC 9051 §8: STARTTLS, SCRAM with SASL-IR and an empty last response,
    ENABLE IMAP4rev2, a rev2 SELECT (with LIST, no RECENT), FETCH, STORE, LOGOUT."""
    pair = Pair()
    caps = ("STARTTLS", "AUTH=SCRAM-SHA-256", "LOGINDISABLED", "IMAP4rev2")
    pair.to_client(
        UntaggedStatus("OK", "IMAP4rev2 Service Ready", ResponseCode("CAPABILITY", caps))
    )
    assert pair.client_events()[0].code == ResponseCode("CAPABILITY", caps)  # type: ignore[attr-defined]
    assert "LOGINDISABLED" in pair.client.capabilities

    pair.to_server(StartTLS("a000"))
    assert pair.server_events() == [StartTLS("a000")]
    pair.to_client(TaggedResponse("a000", "OK", "Proceed with TLS negotiation"))
    assert pair.client_events() == [TaggedResponse("a000", "OK", "Proceed with TLS negotiation")]
    pair.server.start_tls()
    pair.client.start_tls()
    assert pair.client.tls_active and pair.server.tls_active
    assert pair.client.capabilities == frozenset()

    wire = pair.to_server(Authenticate("A001", "SCRAM-SHA-256", SCRAM_FIRST))
    assert (
        wire == b"A001 AUTHENTICATE SCRAM-SHA-256 biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=\r\n"
    )
    assert pair.server_events() == [Authenticate("A001", "SCRAM-SHA-256", SCRAM_FIRST)]
    for challenge, response in ((SCRAM_SERVER_FIRST, SCRAM_FINAL), (SCRAM_SERVER_FINAL, b"")):
        pair.to_client(AuthenticateChallenge(challenge))
        assert pair.client_events() == [AuthenticateChallenge(challenge)]
        pair.to_server(AuthenticationData(response))
        assert pair.server_events() == [AuthenticationData(response)]
    assert pair.wire[-1] == ("C", b"\r\n")  # "C:" an empty line
    pair.to_client(TaggedResponse("A001", "OK", "SCRAM-SHA-256 authentication successful"))
    pair.client_events()
    assert pair.server.state is pair.client.state is State.AUTHENTICATED

    pair.to_server(Enable("babc", ("IMAP4rev2",)))
    assert pair.server_events() == [Enable("babc", ("IMAP4rev2",))]
    pair.to_client(
        EnabledResponse(("IMAP4rev2",)), TaggedResponse("babc", "OK", "Some capabilities enabled")
    )
    pair.client_events()
    assert pair.client.utf8 and pair.server.utf8

    pair.raw_to_server(b"a002 select inbox\r\n")
    assert pair.server_events() == [Select("a002", "INBOX")]
    select_replies = [
        ExistsResponse(172),
        UntaggedStatus("OK", "UIDs valid", ResponseCode("UIDVALIDITY", 3857529045)),
        UntaggedStatus("OK", "Predicted next UID", ResponseCode("UIDNEXT", 4392)),
        FlagsResponse(("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")),
        UntaggedStatus(
            "OK", "Limited", ResponseCode("PERMANENTFLAGS", ("\\Deleted", "\\Seen", "\\*"))
        ),
        ListResponse((), "/", "INBOX"),
        TaggedResponse("a002", "OK", "SELECT completed", ResponseCode("READ-WRITE")),
    ]
    wire = pair.to_client(*select_replies)
    assert (
        b'* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n* LIST () "/" INBOX\r\n' in wire
    )
    assert pair.client_events() == select_replies

    pair.raw_to_server(b"a003 fetch 12 full\r\n")
    pair.server_events()
    pair.to_client(FULL_12, TaggedResponse("a003", "OK", "FETCH completed"))
    assert pair.client_events()[0] == FULL_12
    pair.raw_to_server(b"a006 logout\r\n")
    assert pair.server_events() == [Logout("a006")]
    pair.to_client(
        UntaggedStatus("BYE", "IMAP4rev2 Server logging out"),
        TaggedResponse("a006", "OK", "LOGOUT completed"),
    )
    assert len(pair.client_events()) == 2
    assert pair.client.state is State.LOGOUT
    pair.client.receive_data(b"")
    assert type(pair.client.next_event()).__name__ == "ConnectionClosed"


def test_state_table_rejects_commands_out_of_state() -> None:
    pair = Pair()
    pair.raw_to_server(b"x1 SELECT INBOX\r\nx2 FETCH 1 FLAGS\r\nx3 CAPABILITY\r\n")
    for tag in ("x1", "x2"):
        with pytest.raises(RemoteProtocolError) as info:
            pair.server.next_event()
        assert info.value.reply is not None
        assert info.value.reply.startswith(tag.encode() + b" BAD ")
        assert not info.value.fatal
    assert [type(e).__name__ for e in pair.server_events()] == ["Capability"]
    assert pair.server.next_event() is NEED_DATA


def test_select_failure_deselects() -> None:
    pair = Pair()
    pair.client.state = pair.server.state = State.SELECTED
    pair.to_server(Select("s1", "nosuch"))
    pair.server_events()
    pair.to_client(TaggedResponse("s1", "NO", "no such mailbox", ResponseCode("NONEXISTENT")))
    pair.client_events()
    assert pair.server.state is pair.client.state is State.AUTHENTICATED
