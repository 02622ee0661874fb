"""Wire examples from the RFCs: the exact bytes each RFC prints, parsed by the
core in the role that receives them, and bad inputs with the reply they get."""

from __future__ import annotations

from datetime import date

import pytest

from harness.protocols.common import NEED_DATA, RemoteProtocolError, Role
from harness.protocols.imap import (
    STAR,
    Append,
    Authenticate,
    BodyPart,
    BodySection,
    Capability,
    CapabilityResponse,
    Continuation,
    Copy,
    Create,
    Enable,
    EnabledResponse,
    ESearchResponse,
    Examine,
    ExistsResponse,
    Expunge,
    ExpungeResponse,
    Fetch,
    FetchResponse,
    FetchSection,
    FlagsResponse,
    Id,
    Idle,
    IdResponse,
    IMAPConnection,
    IMAPLimits,
    List,
    ListResponse,
    LiteralRequest,
    Login,
    Lsub,
    MailboxStatus,
    Move,
    Multipart,
    NamespaceDescr,
    NamespaceResponse,
    Noop,
    QResync,
    RecentResponse,
    ResponseCode,
    Search,
    SearchDate,
    SearchModSeq,
    SearchNot,
    SearchResponse,
    SearchSimple,
    SearchText,
    Section,
    Select,
    SequenceSet,
    State,
    Status,
    Store,
    TaggedResponse,
    UntaggedStatus,
    VanishedResponse,
)

S = SequenceSet.parse

COMMANDS = [
    # RFC 3501 / RFC 9051 §6 examples
    (b"a002 CAPABILITY", Capability("a002")),
    (b"A001 LOGIN SMITH SESSAME", Login("A001", "SMITH", "SESSAME")),
    (b"A142 SELECT INBOX", Select("A142", "INBOX")),
    (b"A932 EXAMINE blurdybloop", Examine("A932", "blurdybloop")),
    (b"A003 CREATE owatagusiam/", Create("A003", "owatagusiam/")),
    (b'A682 LIST "" *', List("A682", "", ("*",))),
    (b'A101 LIST "" ""', List("A101", "", ("",))),
    (b"A202 LIST ~/Mail/ %", List("A202", "~/Mail/", ("%",))),
    (b'A002 LSUB "#news." "comp.mail.*"', Lsub("A002", "#news.", "comp.mail.*")),
    (
        b"A042 STATUS blurdybloop (UIDNEXT MESSAGES)",
        Status("A042", "blurdybloop", ("UIDNEXT", "MESSAGES")),
    ),
    (
        b'A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"',
        Search(
            "A282",
            (
                SearchSimple("FLAGGED"),
                SearchDate("SINCE", date(1994, 2, 1)),
                SearchNot(SearchText("FROM", "Smith")),
            ),
        ),
    ),
    (
        b"A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])",
        Fetch(
            "A654",
            S("2:4"),
            ("FLAGS", FetchSection("BODY", Section((), "HEADER.FIELDS", ("DATE", "FROM")))),
        ),
    ),
    (
        b"a FETCH 1 BODY.PEEK[]<0.2048>",
        Fetch("a", S("1"), (FetchSection("BODY", Section(), (0, 2048), True),)),
    ),
    (b"A003 STORE 2:4 +FLAGS (\\Deleted)", Store("A003", S("2:4"), "+", ("\\Deleted",))),
    (b"A003 COPY 2:4 MEETING", Copy("A003", S("2:4"), "MEETING")),
    (
        b"A999 UID FETCH 4827313:4828442 FLAGS",
        Fetch("A999", S("4827313:4828442"), ("FLAGS",), uid=True),
    ),
    (b"A001 IDLE", Idle("A001")),
    # RFC 4731 §3.1, RFC 5182 ($)
    (
        b"A283 SEARCH RETURN (MIN COUNT) FLAGGED",
        Search("A283", (SearchSimple("FLAGGED"),), None, ("MIN", "COUNT")),
    ),
    (
        b"A1 UID SEARCH RETURN (SAVE) UNSEEN",
        Search("A1", (SearchSimple("UNSEEN"),), None, ("SAVE",), True),
    ),
    (b"A2 UID FETCH $ (UID)", Fetch("A2", SequenceSet(saved=True), ("UID",), uid=True)),
    # RFC 5258 §5, RFC 5819, RFC 6154
    (
        b'A04 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%" RETURN (CHILDREN)',
        List("A04", "", ("%",), ("SUBSCRIBED", "RECURSIVEMATCH"), ("CHILDREN",)),
    ),
    (b'A05 LIST "" ("INBOX" "Drafts")', List("A05", "", ("INBOX", "Drafts"))),
    (
        b'A01 LIST "" % RETURN (STATUS (MESSAGES UNSEEN))',
        List("A01", "", ("%",), return_status=("MESSAGES", "UNSEEN")),
    ),
    (
        b"t1 CREATE MySpecial (USE (\\Drafts \\Sent))",
        Create("t1", "MySpecial", ("\\Drafts", "\\Sent")),
    ),
    # RFC 7162 §3.1
    (b"A142 SELECT INBOX (CONDSTORE)", Select("A142", "INBOX", condstore=True)),
    (
        b"A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))",
        Select(
            "A02", "INBOX", qresync=QResync(67890007, 20050715194045000, S("41,43:211,214:541"))
        ),
    ),
    (
        b"a103 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)",
        Fetch("a103", SequenceSet(((1, STAR),)), ("FLAGS",), uid=True, changedsince=12345),
    ),
    (
        b"a102 STORE 1:3 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)",
        Store("a102", S("1:3"), "+", ("\\Deleted",), silent=True, unchangedsince=12121230045),
    ),
    (
        b'a SEARCH MODSEQ "/flags/\\\\draft" all 620162338',
        Search("a", (SearchModSeq(620162338, ("/flags/\\draft", "all")),)),
    ),
    # RFC 4315, 6851, 2971, 5161, 3516, 4959
    (b"A003 UID EXPUNGE 3000:3002", Expunge("A003", S("3000:3002"))),
    (b"a UID MOVE 42:69 foo", Move("a", S("42:69"), "foo", uid=True)),
    (
        b'a023 ID ("name" "sodr" "version" "19.34" "vendor" "Pink Floyd Music Limited")',
        Id(
            "a023", (("name", "sodr"), ("version", "19.34"), ("vendor", "Pink Floyd Music Limited"))
        ),
    ),
    (b"t2 ENABLE CONDSTORE X-GOOD-IDEA", Enable("t2", ("CONDSTORE", "X-GOOD-IDEA"))),
    (
        b"A003 FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1])",
        Fetch(
            "A003",
            S("1"),
            (
                FetchSection("BINARY", Section((1,)), None, True),
                FetchSection("BINARY.SIZE", Section((1,))),
            ),
        ),
    ),
    (
        b"a01 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=",
        Authenticate("a01", "PLAIN", b"test\0test\0test"),
    ),
    # case-insensitivity (catalogue IMAP-CMD-CASE)
    (b"a uid fetch 1:* (uid)", Fetch("a", SequenceSet(((1, STAR),)), ("UID",), uid=True)),
    (b"t_9-z noop", Noop("t_9-z")),
]


@pytest.mark.parametrize(("wire", "command"), COMMANDS, ids=[w[:28].decode() for w, _ in COMMANDS])
def test_rfc_command_examples(wire: bytes, command: object) -> None:
    server = IMAPConnection(Role.SERVER)
    server.state = (
        State.NOT_AUTHENTICATED if b"LOGIN" in wire or b"AUTHENTICATE" in wire else State.SELECTED
    )
    server.receive_data(wire + b"\r\n")
    assert server.next_event() == command
    assert server.next_event() is NEED_DATA


def test_rfc3501_append_with_literal() -> None:
    """RFC 3501 §6.3.11: APPEND saved-messages (\\Seen) {310}."""
    message = b"Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n" + b"x" * 264 + b"\r\n"
    assert len(message) == 310
    server = IMAPConnection(Role.SERVER)
    server.state = State.AUTHENTICATED
    server.receive_data(b"A003 APPEND saved-messages (\\Seen) {310}\r\n")
    assert server.next_event() == LiteralRequest("A003", 310, command="APPEND")
    assert server.send(Continuation("Ready for literal data")) == b"+ Ready for literal data\r\n"
    server.receive_data(message + b"\r\n")
    assert server.next_event() == Append("A003", "saved-messages", message, ("\\Seen",))


RESPONSES = [
    (
        b"* CAPABILITY IMAP4rev1 STARTTLS AUTH=GSSAPI LOGINDISABLED",
        CapabilityResponse(("IMAP4rev1", "STARTTLS", "AUTH=GSSAPI", "LOGINDISABLED")),
    ),
    (b'* LIST (\\Noselect) "/" ~/Mail/foo', ListResponse(("\\Noselect",), "/", "~/Mail/foo")),
    (b'* LIST (\\Noselect) NIL ""', ListResponse(("\\Noselect",), None, "")),
    (
        b'* LSUB () "." #news.comp.mail.misc',
        ListResponse((), ".", "#news.comp.mail.misc", lsub=True),
    ),
    (
        b'* LIST () "/" "Foo" ("CHILDINFO" ("SUBSCRIBED"))',
        ListResponse((), "/", "Foo", (("CHILDINFO", ("SUBSCRIBED",)),)),
    ),
    (b'* LIST (\\Marked) "\\\\" inbox', ListResponse(("\\Marked",), "\\", "INBOX")),
    (
        b"* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)",
        MailboxStatus("blurdybloop", (("MESSAGES", 231), ("UIDNEXT", 44292))),
    ),
    (b"* SEARCH 2 84 882", SearchResponse((2, 84, 882))),
    (b"* SEARCH", SearchResponse(())),
    (b"* SEARCH 2 5 (MODSEQ 917162500)", SearchResponse((2, 5), 917162500)),
    (b'* ESEARCH (TAG "A282") MIN 2 COUNT 3', ESearchResponse("A282", min=2, count=3)),
    (b'* ESEARCH (TAG "A283") UID ALL 4:6,9', ESearchResponse("A283", uid=True, all=S("4:6,9"))),
    (b'* ESEARCH (TAG "a")', ESearchResponse("a")),
    (
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
        FlagsResponse(("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")),
    ),
    (b"* 23 EXISTS", ExistsResponse(23)),
    (b"* 5 RECENT", RecentResponse(5)),
    (b"* 3 EXPUNGE", ExpungeResponse(3)),
    (
        b"* 23 FETCH (FLAGS (\\Seen) RFC822.SIZE 44827)",
        FetchResponse(23, flags=("\\Seen",), rfc822_size=44827),
    ),
    (
        b"* 23 fetch (rfc822.size 44827 flags (\\Seen))",
        FetchResponse(23, flags=("\\Seen",), rfc822_size=44827),
    ),
    (b"* 1 FETCH (MODSEQ (624140003) UID 4)", FetchResponse(1, uid=4, modseq=624140003)),
    (
        b"* 12 FETCH (BODY[]<0> {10}\r\n0123456789)",
        FetchResponse(12, sections=(BodySection("BODY", Section(), b"0123456789", 0),)),
    ),
    (
        b"* 1 FETCH (BINARY[1] ~{3}\r\na\x00b BINARY.SIZE[1] 3)",
        FetchResponse(
            1,
            sections=(BodySection("BINARY", Section((1,)), b"a\x00b"),),
            binary_sizes=(((1,), 3),),
        ),
    ),
    (
        b'* 1 FETCH (BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23)'
        b'("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") "<960723163407.20117h@cac.washington.edu>" '
        b'"Compiler diff" "BASE64" 4554 73) "MIXED"))',
        FetchResponse(
            1,
            body_structure=Multipart(
                (
                    BodyPart(
                        "TEXT", "PLAIN", (("CHARSET", "US-ASCII"),), None, None, "7BIT", 1152, 23
                    ),
                    BodyPart(
                        "TEXT",
                        "PLAIN",
                        (("CHARSET", "US-ASCII"), ("NAME", "cc.diff")),
                        "<960723163407.20117h@cac.washington.edu>",
                        "Compiler diff",
                        "BASE64",
                        4554,
                        73,
                    ),
                ),
                "MIXED",
            ),
        ),
    ),
    (
        b"* OK [ALERT] System shutdown in 10 minutes",
        UntaggedStatus("OK", "System shutdown in 10 minutes", ResponseCode("ALERT")),
    ),
    (
        b"* PREAUTH IMAP4rev1 server logged in as Smith",
        UntaggedStatus("PREAUTH", "IMAP4rev1 server logged in as Smith"),
    ),
    (
        b"* BYE Autologout; idle for too long",
        UntaggedStatus("BYE", "Autologout; idle for too long"),
    ),
    (b"* BAD Command line too long", UntaggedStatus("BAD", "Command line too long")),
    (
        b"A003 OK [APPENDUID 38505 3955] APPEND completed",
        TaggedResponse(
            "A003", "OK", "APPEND completed", ResponseCode("APPENDUID", (38505, S("3955")))
        ),
    ),
    (
        b"A004 OK [COPYUID 38505 304,319:320 3956:3958] Done",
        TaggedResponse(
            "A004", "OK", "Done", ResponseCode("COPYUID", (38505, S("304,319:320"), S("3956:3958")))
        ),
    ),
    (
        b"* OK [HIGHESTMODSEQ 715194045007] Highest",
        UntaggedStatus("OK", "Highest", ResponseCode("HIGHESTMODSEQ", 715194045007)),
    ),
    (
        b"d105 OK [MODIFIED 7,9] Conditional STORE completed",
        TaggedResponse(
            "d105", "OK", "Conditional STORE completed", ResponseCode("MODIFIED", S("7,9"))
        ),
    ),
    (
        b"A1 NO [BADCHARSET (UTF-8 US-ASCII)] no",
        TaggedResponse("A1", "NO", "no", ResponseCode("BADCHARSET", ("UTF-8", "US-ASCII"))),
    ),
    (b'* NAMESPACE (("" "/")) NIL NIL', NamespaceResponse((NamespaceDescr("", "/"),))),
    (
        b'* NAMESPACE (("" "/")) (("~" "/")) (("#shared/" "/")("#news." "."))',
        NamespaceResponse(
            (NamespaceDescr("", "/"),),
            (NamespaceDescr("~", "/"),),
            (NamespaceDescr("#shared/", "/"), NamespaceDescr("#news.", ".")),
        ),
    ),
    (b'* ID ("name" "Cyrus" "version" "1.5")', IdResponse((("name", "Cyrus"), ("version", "1.5")))),
    (b"* ID NIL", IdResponse(None)),
    (b"* ENABLED CONDSTORE", EnabledResponse(("CONDSTORE",))),
    (b"* VANISHED (EARLIER) 41,43:116,118", VanishedResponse(S("41,43:116,118"), earlier=True)),
    # unknown codes are kept (RFC 9051 §7.1: clients MUST ignore them), lenient forms
    (b"* OK [X-FOO bar baz] text", UntaggedStatus("OK", "text", ResponseCode("X-FOO", "bar baz"))),
    (b"a OK", TaggedResponse("a", "OK")),
    (b"* OK [READ-WRITE]", UntaggedStatus("OK", "", ResponseCode("READ-WRITE"))),
    (b"+", Continuation("")),
]


@pytest.mark.parametrize(
    ("wire", "response"), RESPONSES, ids=[w[:28].decode("latin-1") for w, _ in RESPONSES]
)
def test_rfc_response_examples(wire: bytes, response: object) -> None:
    client = IMAPConnection(Role.CLIENT)
    client.receive_data(wire + b"\r\n")
    assert client.next_event() == response
    assert client.next_event() is NEED_DATA


BAD_COMMANDS = [
    (b"a FOO", b"a BAD "),
    (b"a FETCH", b"a BAD "),
    (b"a SELECT", b"a BAD "),
    (b"a  NOOP", b"a BAD "),
    (b"a NOOP ", b"a BAD "),
    (b"", b"* BAD "),
    (b"+x NOOP", b"* BAD "),
    (b'a LIST (X-FOO) "" "*"', b"a BAD "),
    (b'a LIST (RECURSIVEMATCH) "" "*"', b"a BAD "),
    (b"a FETCH 0 FLAGS", b"a BAD "),
    (b"a FETCH 1 FOO", b"a BAD "),
    (b"a FETCH 1 BODY[1.FOO]", b"a BAD "),
    (b"a SEARCH XYZ", b"a BAD "),
    (b"a STORE 1 FLAGS (\\Seen", b"a BAD "),
    (b'a CREATE "caf\xc3\xa9"', b"a BAD "),  # 8-bit quoted before UTF8=ACCEPT
    (b"a NOOP\nb NOOP", b"a BAD "),  # a bare LF is not a line end
    (b"a SELECT {1+}{2+}\r\nab", b"a BAD "),  # a literal announced mid-line
    (b"a SELECT INBOX (FOO)", b"a BAD "),
    (b"a STATUS INBOX (FOO)", b"a BAD "),
    (b"a UID FETCH 1:* (FLAGS) (VANISHED)", b"a BAD "),
    (b'a APPEND INBOX "x"', b"a BAD "),
    (b"a FETCH 1:4294967296 FLAGS", b"a BAD "),
    (b"a SEARCH " + b"(" * 60 + b"ALL" + b")" * 60, b"a BAD "),
    (b"a SEARCH " + b"NOT " * 60 + b"ALL", b"a BAD "),
]


@pytest.mark.parametrize(
    ("wire", "reply"), BAD_COMMANDS, ids=[w[:24].decode("latin-1") for w, _ in BAD_COMMANDS]
)
def test_bad_commands_get_bad_and_the_session_goes_on(wire: bytes, reply: bytes) -> None:
    server = IMAPConnection(Role.SERVER)
    server.state = State.SELECTED
    server.receive_data(wire + b"\r\nz NOOP\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        server.next_event()
    assert info.value.reply is not None and info.value.reply.startswith(reply)
    assert info.value.reply.endswith(b"\r\n") and info.value.reply.count(b"\r\n") == 1
    assert not info.value.fatal
    assert server.next_event() == Noop("z")


def test_overlong_line_is_answered_and_framing_resyncs() -> None:
    """Catalogue IMAP-LINE-LENGTH: a 100 KB line gets BAD, no crash, no hang."""
    server = IMAPConnection(Role.SERVER, IMAPLimits(max_line=8192))
    server.state = State.SELECTED
    server.receive_data(b"a FETCH " + b"1," * 50_000)
    with pytest.raises(RemoteProtocolError) as info:
        server.next_event()
    assert info.value.reply == b"a BAD line too long\r\n"
    assert len(server._framer.lines) <= 8192
    server.receive_data(b"2 FLAGS\r\nb NOOP\r\n")
    assert server.next_event() == Noop("b")


def test_overlong_line_ending_in_a_nonsync_literal_skips_its_octets() -> None:
    server = IMAPConnection(Role.SERVER, IMAPLimits(max_line=100))
    server.state = State.AUTHENTICATED
    payload = b"x LOGOUT\r\n"
    server.receive_data(b"a APPEND INBOX " + b"x" * 200 + b" {%d+}\r\n" % len(payload) + payload)
    with pytest.raises(RemoteProtocolError):
        server.next_event()
    server.receive_data(b"\r\nb NOOP\r\n")
    assert server.next_event() == Noop("b")


def test_client_parses_split_and_reordered_fetch_data() -> None:
    """Catalogue §7 #18: item order is free and one message's data may be split."""
    client = IMAPConnection(Role.CLIENT)
    client.receive_data(b"* 1 FETCH (UID 5 BODY[] {3}\r\nabc)\r\n* 1 FETCH (FLAGS (\\Seen))\r\n")
    first, second = client.next_event(), client.next_event()
    assert isinstance(first, FetchResponse) and first.uid == 5 and first.data("BODY[]") == b"abc"
    assert second == FetchResponse(1, flags=("\\Seen",))


def test_client_rejects_bad_responses_without_losing_the_stream() -> None:
    client = IMAPConnection(Role.CLIENT)
    client.receive_data(b"* 1 FETCH (FLAGS (\\Seen)\r\n* 2 EXISTS\r\n")
    with pytest.raises(RemoteProtocolError) as info:
        client.next_event()
    assert info.value.reply is None
    assert client.next_event() == ExistsResponse(2)
