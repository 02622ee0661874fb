"""body-fld-param and RFC 2231 (parameter continuations and charsets), per revision.

IMAP4rev2, RFC 9051 §7.5.2: "baz*0" "baz*1" come back joined as "baz";
"foo*0*" "foo*1*" decoded, converted to UTF-8, joined, as "foo*".
IMAP4rev1 (RFC 3501 has no such rule, and 7-bit strings): as Dovecot 2.3 does,
continuations joined and a charset-encoded value left encoded, as "foo*".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.protocols.imap.values import BodyPart, Disposition
from harness.server.imap.message_view import MessageView
from harness.server.imap.mime_params import body_params
from tests.server.imap.helpers import ALICE, RawImap, imap_server, seed

ATTACHMENT = (
    b"Content-Type: application/octet-stream;\r\n"
    b" name*0*=UTF-8''%E2%82%AC%20;\r\n"
    b" name*1=rate%.txt\r\n"
    b"Content-Disposition: attachment; filename*=iso-8859-1'de'caf%E9.txt\r\n"
    b"\r\n"
    b"x"
)


def part(rev2: bool) -> BodyPart:
    got = MessageView(ATTACHMENT).body_structure(extensions=True, rev2=rev2)
    assert isinstance(got, BodyPart) and got.extension is not None
    return got


def test_rev2_decodes_charsets_to_utf8_under_the_starred_name() -> None:
    got = part(rev2=True)
    assert got.params == (("name*", "€ rate%.txt"),)
    assert got.extension is not None
    assert got.extension.disposition == Disposition("attachment", (("filename*", "café.txt"),))


def test_rev1_joins_continuations_but_leaves_the_value_encoded() -> None:
    """No 8-bit for a rev1 client; a plain segment's "%" is escaped, so the
    joined value is still one valid RFC 2231 extended value (as Dovecot 2.3)."""
    got = part(rev2=False)
    assert got.params == (("name*", "UTF-8''%E2%82%AC%20rate%25.txt"),)
    assert got.extension is not None
    assert got.extension.disposition == Disposition(
        "attachment", (("filename*", "iso-8859-1'de'caf%E9.txt"),)
    )


def test_the_view_caches_each_revision_apart() -> None:
    view = MessageView(ATTACHMENT)
    rev1 = view.body_structure(extensions=False, rev2=False)
    rev2 = view.body_structure(extensions=False, rev2=True)
    assert isinstance(rev1, BodyPart) and isinstance(rev2, BodyPart)
    assert (rev1.params[0][0], rev2.params[0][1]) == ("name*", "€ rate%.txt")


def params(value: str, *, rev2: bool) -> tuple[tuple[str, str], ...]:
    return body_params("attachment; " + value, rev2=rev2)


@pytest.mark.parametrize("rev2", [False, True])
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('a=1; B="x y"', (("a", "1"), ("b", "x y"))),
        # plain continuations, out of order, one quoted: joined under the plain name
        ('n*1=" world"; n*0=hello', (("n", "hello world"),)),
        # a missing index: not a continuation, every segment as written
        ("n*0=a; n*2=c", (("n*0", "a"), ("n*2", "c"))),
        # regular parameters first, then the RFC 2231 ones (Dovecot's order)
        ("n*0=a; z=1", (("z", "1"), ("n", "a"))),
    ],
)
def test_plain_parameters_are_the_same_in_both_revisions(
    value: str, expected: tuple[tuple[str, str], ...], rev2: bool
) -> None:
    assert params(value, rev2=rev2) == expected


@pytest.mark.parametrize(
    ("value", "rev1", "rev2"),
    [
        # a UTF-8 character split across two encoded segments is decoded once
        ("f*0*=utf-8''%C4; f*1*=%8Ce", "utf-8''%C4%8Ce", "Če"),
        # the first segment not encoded: no charset, taken as UTF-8 (ASCII here)
        ("f*0=a%; f*1*=%41", "''a%25%41", "a%A"),
        # an unknown charset: the octets are read as UTF-8, bad ones replaced
        ("f*=x-unknown'en'%FFok", "x-unknown'en'%FFok", "\ufffdok"),
    ],
)
def test_encoded_values(value: str, rev1: str, rev2: str) -> None:
    assert params(value, rev2=False) == (("f*", rev1),)
    assert params(value, rev2=True) == (("f*", rev2),)


async def test_fetch_bodystructure_follows_the_session_revision(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server:
        await seed(server, ALICE[0], b"Subject: a\r\n" + ATTACHMENT)
        async with RawImap.connect(server, login=ALICE) as c:
            await c.ok("SELECT INBOX")
            rev1 = (await c.ok("FETCH 1 (BODY)"))[0].raw
            assert b'("name*" "UTF-8\'\'%E2%82%AC%20rate%25.txt")' in rev1
            await c.ok("ENABLE IMAP4rev2")
            rev2 = (await c.ok("FETCH 1 (BODY)"))[0].raw
            assert '("name*" "€ rate%.txt")'.encode() in rev2
