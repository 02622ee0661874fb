"""SEARCH evaluation: every key type of RFC 3501 §6.4.4 / RFC 9051 §6.4.4,
NOT/OR/AND nesting, "*" and "$", CHARSET, and lazy loading of bytes."""

from __future__ import annotations

import datetime

import pytest

from harness.protocols.imap.codec import decode_command
from harness.protocols.imap.framing import FramedUnit, IMAPLimits
from harness.protocols.imap.search import (
    Search,
    SearchAnd,
    SearchDate,
    SearchKey,
    SearchSet,
    SearchSimple,
    SearchText,
)
from harness.protocols.imap.values import SequenceSet
from harness.server.imap.message_view import MessageView
from harness.server.imap.search_eval import (
    SearchCandidate,
    SearchError,
    check_charset,
    compile_search,
    needs_content,
)

UTC = datetime.UTC
EAST = datetime.timezone(datetime.timedelta(hours=9))
WEST = datetime.timezone(datetime.timedelta(hours=-8))

MESSAGES: dict[int, bytes] = {
    1: (
        b"Date: Mon, 01 Jan 2024 23:30:00 -0800\r\n"
        b"From: Alice Example <alice@example.test>\r\n"
        b"To: bob@example.test\r\n"
        b"Subject: Re: HELLO world\r\n"
        b"X-Label: Project Blue\r\n"
        b"\r\n"
        b"The quick brown fox.\r\n"
    ),
    2: (
        b"Date: Tue, 02 Jan 2024 08:00:00 +0900\r\n"
        b"From: =?UTF-8?B?w6TDtsO8?= <umlaut@example.test>\r\n"
        b"To: alice@example.test\r\n"
        b"Cc: carol@example.test\r\n"
        b"Subject: =?UTF-8?B?w6TDtsO8?=\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b"\r\n"
        b"R3LDvMOfZSBhdXMgS8O2bG4=\r\n"  # "Grüße aus Köln"
    ),
    3: (
        b"Date: not a date\r\n"
        b"From: dave@example.test\r\n"
        b"Bcc: secret@example.test\r\n"
        b"Subject: quarterly report\r\n"
        b"X-Label:\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n"
        b"\r\n"
        b"Caf=E9 cr=E8me, soft=\r\nbreak\r\n"
    ),
    4: b"From: erin@example.test\r\nSubject: no date\r\n\r\nmeet at noon\r\n",
}


def candidate(
    seq: int,
    *,
    flags: frozenset[str] = frozenset(),
    internal: datetime.datetime | None = None,
    size: int = 0,
    modseq: int = 1,
    recent: bool = False,
) -> SearchCandidate:
    raw = MESSAGES[seq]
    return SearchCandidate(
        seq=seq,
        uid=seq * 10,
        flags=flags,
        internal_date=internal or datetime.datetime(2024, 1, seq, 12, 0, tzinfo=UTC),
        size=size or len(raw),
        modseq=modseq,
        recent=recent,
        view=lambda: MessageView(raw),
    )


MAILBOX = [
    candidate(1, flags=frozenset({"\\Seen", "\\Answered", "$Label1"}), size=500, modseq=7),
    candidate(2, flags=frozenset({"\\Flagged"}), size=1500, recent=True, modseq=3),
    candidate(3, flags=frozenset({"\\Deleted", "\\Draft", "\\Seen"}), size=1000, recent=True),
    candidate(
        4,
        flags=frozenset({"$label1"}),
        internal=datetime.datetime(2024, 1, 4, 23, 59, tzinfo=WEST),
        size=2000,
        modseq=9,
    ),
]


def parse(program: str) -> SearchKey:
    """The search-program as the core parses it off the wire."""
    unit = FramedUnit([f"a SEARCH {program}".encode()], [])
    command = decode_command(unit, IMAPLimits(), utf8=True)
    assert isinstance(command, Search)
    keys = command.criteria
    return keys[0] if len(keys) == 1 else SearchAnd(keys)


def search(program: str, *, saved: frozenset[int] | None = None) -> list[int]:
    predicate = compile_search(parse(program), max_seq=4, max_uid=40, saved_uids=saved)
    return [c.seq for c in MAILBOX if predicate(c)]


@pytest.mark.parametrize(
    ("program", "expected"),
    [
        ("ALL", [1, 2, 3, 4]),
        ("ANSWERED", [1]),
        ("UNANSWERED", [2, 3, 4]),
        ("DELETED", [3]),
        ("UNDELETED", [1, 2, 4]),
        ("DRAFT", [3]),
        ("UNDRAFT", [1, 2, 4]),
        ("FLAGGED", [2]),
        ("UNFLAGGED", [1, 3, 4]),
        ("SEEN", [1, 3]),
        ("UNSEEN", [2, 4]),
        ("RECENT", [2, 3]),
        ("NEW", [2]),  # RECENT and UNSEEN
        ("OLD", [1, 4]),  # NOT RECENT
        ("KEYWORD $Label1", [1, 4]),  # flag names compare case-insensitively
        ("UNKEYWORD $label1", [2, 3]),
        ("LARGER 1000", [2, 4]),  # strictly larger
        ("SMALLER 1000", [1]),
        ("MODSEQ 7", [1, 4]),  # RFC 7162: equal or greater
        ("2:3", [2, 3]),
        ("3:*", [3, 4]),
        ("*", [4]),
        ("1,4", [1, 4]),
        ("UID 20:30", [2, 3]),
        ("UID 35:*", [4]),  # "*" is the largest UID, and the range is unordered
        ("UID 99", []),
    ],
)
def test_flag_size_and_number_keys(program: str, expected: list[int]) -> None:
    assert search(program) == expected


@pytest.mark.parametrize(
    ("program", "expected"),
    [
        ("FROM alice", [1]),  # substring of the From field
        ("FROM ALICE", [1]),  # case-insensitive
        ("TO alice", [2]),
        ("CC carol", [2]),
        ("BCC secret", [3]),
        ('SUBJECT "hello"', [1]),  # matches "Re: HELLO world"
        ('SUBJECT "äöü"', [2]),  # RFC 2047-decoded before comparing
        ('FROM "äöü"', [2]),
        ('HEADER X-Label "blue"', [1]),
        ('HEADER x-label ""', [1, 3]),  # empty string: the field is present
        ('HEADER Date ""', [1, 2, 3]),
        ('BODY "brown FOX"', [1]),
        ('BODY "köln"', [2]),  # base64 content, decoded as UTF-8
        ('BODY "café crème"', [3]),  # quoted-printable, ISO-8859-1
        ('BODY "softbreak"', [3]),
        ('BODY "hello"', []),  # BODY does not read the header
        ('TEXT "hello"', [1]),  # TEXT does
        ('TEXT "noon"', [4]),
        ('TEXT "umlaut@example"', [2]),
    ],
)
def test_text_keys(program: str, expected: list[int]) -> None:
    assert search(program) == expected


@pytest.mark.parametrize(
    ("program", "expected"),
    [
        # Internal dates: 1..4 Jan 2024 at noon UTC; message 4 is 23:59 at
        # -0800 on the 4th, which is the 5th in UTC: the date as stored counts.
        ("ON 4-Jan-2024", [4]),
        ("BEFORE 3-Jan-2024", [1, 2]),
        ("SINCE 3-Jan-2024", [3, 4]),
        ("SINCE 5-Jan-2024", []),
        # Date: fields, each read in its own zone; 3 has no valid date, 4 none.
        ("SENTON 1-Jan-2024", [1]),  # 23:30 -0800, already the 2nd in UTC
        ("SENTON 2-Jan-2024", [2]),  # 08:00 +0900, still the 1st in UTC
        ("SENTBEFORE 2-Jan-2024", [1]),
        ("SENTSINCE 2-Jan-2024", [2]),
    ],
)
def test_date_keys(program: str, expected: list[int]) -> None:
    assert search(program) == expected


@pytest.mark.parametrize(
    ("program", "expected"),
    [
        ("NOT SEEN", [2, 4]),
        ("NOT NOT SEEN", [1, 3]),
        ("OR FROM alice FROM dave", [1, 3]),
        ("OR SEEN OR FLAGGED KEYWORD $label1", [1, 2, 3, 4]),
        ("SEEN SMALLER 1000", [1]),  # the implicit AND of a program
        ("(SEEN LARGER 600) OR 3 4", [3]),
        ("(SEEN LARGER 600) OR 1 4", []),
        ("NOT (SEEN DELETED)", [1, 2, 4]),
        ("OR (FROM alice NOT SEEN) (TEXT noon UID 40)", [4]),
        ("NOT OR 1 2", [3, 4]),
    ],
)
def test_nested_keys(program: str, expected: list[int]) -> None:
    assert search(program) == expected


def test_saved_result() -> None:
    # RFC 5182: "$" is the UIDs saved by SEARCH RETURN (SAVE); empty before.
    assert search("$", saved=frozenset({20, 40})) == [2, 4]
    assert search("UID $", saved=frozenset({10})) == [1]
    assert search("$") == []


def test_star_on_an_empty_mailbox_matches_nothing() -> None:
    predicate = compile_search(SearchSet(SequenceSet.parse("*")), max_seq=0, max_uid=0)
    assert not predicate(MAILBOX[0])


def test_charset() -> None:
    check_charset(None)
    check_charset("utf-8")
    check_charset("US-ASCII")
    with pytest.raises(SearchError):
        check_charset("X-FOO")
    with pytest.raises(SearchError):
        compile_search(SearchSimple("ALL"), max_seq=1, max_uid=1, charset="KOI8-R")


def test_unknown_simple_key_is_a_search_error() -> None:
    with pytest.raises(SearchError):
        compile_search(SearchSimple("BOGUS"), max_seq=1, max_uid=1)


@pytest.mark.parametrize(
    ("program", "needed"),
    [
        ("SEEN UID 1:*", False),
        ("SINCE 1-Jan-2024 LARGER 3", False),
        ("SENTSINCE 1-Jan-2024", True),
        ("NOT OR SEEN SUBJECT x", True),
        ("HEADER X-A b", True),
        ("(SEEN (FLAGGED BODY x))", True),
    ],
)
def test_needs_content(program: str, needed: bool) -> None:
    assert needs_content(parse(program)) is needed


def test_bytes_load_only_when_needed_and_once() -> None:
    loads: list[int] = []

    def counting(seq: int, size: int) -> SearchCandidate:
        base = candidate(seq)

        def view() -> MessageView:
            loads.append(seq)
            return MessageView(MESSAGES[seq])

        return SearchCandidate(
            base.seq, base.uid, frozenset(), base.internal_date, size, 1, False, view
        )

    flag_only = compile_search(parse("UNSEEN 1:*"), max_seq=4, max_uid=40)
    assert all(flag_only(counting(n, 100)) for n in (1, 2))
    assert loads == []
    # Three content keys, one load; the size key first rules message 4 out.
    both = compile_search(
        SearchAnd(
            (
                SearchText("SUBJECT", "e"),
                SearchText("BODY", "e"),
                SearchText("FROM", "e"),
                parse("SMALLER 200"),
            )
        ),
        max_seq=4,
        max_uid=40,
    )
    assert [both(counting(1, 100)), both(counting(4, 300))] == [True, False]
    assert loads == [1]


@pytest.mark.parametrize(
    "key",
    [SearchText("NOSUCH", "x"), SearchDate("SENTAFTER", datetime.date(2024, 1, 1))],
)
def test_keys_outside_the_grammar_are_search_errors(key: SearchKey) -> None:
    with pytest.raises(SearchError):
        compile_search(key, max_seq=1, max_uid=1)


NESTED = (
    b"Subject: outer\r\n"
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
    b"--b\r\nContent-Type: application/octet-stream\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n"
    b"aGlkZGVuIHdvcmQ=\r\n"  # "hidden word", in an attachment
    b"--b\r\nContent-Type: message/rfc822\r\n\r\n"
    b"Subject: =?utf-8?q?inner_s=C3=BCbject?=\r\n\r\n"
    b"inner text\r\n"
    b"--b--\r\n"
)


@pytest.mark.parametrize(
    ("needle", "headers", "found"),
    [
        ("hidden word", False, False),  # attachments are not text
        ("inner text", False, True),
        ("inner sübject", False, True),  # an attached message's header is body
        ("SUBJECT: OUTER", False, False),
        ("subject: outer", True, True),
        ("", False, True),
    ],
)
def test_body_and_text_reach_into_attached_messages(
    needle: str, headers: bool, found: bool
) -> None:
    assert MessageView(NESTED).text_contains(needle, headers=headers) is found
