"""Subscriptions on the wire: names that outlive their mailboxes (RFC 3501
§6.3.6-9, RFC 9051 §6.3.6-9, RFC 5258 §3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.server.imap.helpers import ALICE, RawImap, imap_server

pytestmark = pytest.mark.timeout(30)


def raws(responses: list) -> list[bytes]:
    return [r.raw for r in responses[:-1]]


async def test_a_deleted_mailbox_stays_subscribed(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server, RawImap.connect(server, login=ALICE) as c:
        await c.ok("CREATE Gone")
        await c.ok("SUBSCRIBE Gone")
        await c.ok("DELETE Gone")
        # RFC 3501 §6.3.9: "MUST NOT unilaterally remove an existing mailbox name"
        assert raws(await c.ok('LSUB "" Gone')) == [b'* LSUB (\\Noselect) "/" Gone']
        assert raws(await c.ok('LIST (SUBSCRIBED) "" Gone')) == [
            b'* LIST (\\NonExistent \\HasNoChildren \\Subscribed) "/" Gone'
        ]
        assert raws(await c.ok('LIST "" Gone RETURN (SUBSCRIBED)')) == []  # no mailbox
        await c.ok("CREATE Gone")  # the name comes back, still subscribed
        assert raws(await c.ok('LIST "" Gone RETURN (SUBSCRIBED)')) == [
            b'* LIST (\\HasNoChildren \\Subscribed) "/" Gone'
        ]


async def test_names_without_mailboxes_can_be_subscribed(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server, RawImap.connect(server, login=ALICE) as c:
        await c.ok("SUBSCRIBE Ghost/Child")
        await c.ok("SUBSCRIBE Ghost/Child")  # RFC 9051 §6.3.7: OK if already subscribed
        assert raws(await c.ok('LSUB "" "Gh%"')) == [b'* LSUB (\\Noselect) "/" Ghost']
        recursive = raws(await c.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" "Gh%"'))
        assert recursive == [
            b'* LIST (\\NonExistent \\HasNoChildren) "/" Ghost (CHILDINFO (SUBSCRIBED))'
        ]
        await c.ok("UNSUBSCRIBE Ghost/Child")
        await c.ok("UNSUBSCRIBE Ghost/Child")  # §6.3.8: OK if not subscribed
        assert raws(await c.ok('LSUB "" "*"')) == [
            b'* LSUB () "/" ' + name
            for name in (b"INBOX", b"Archive", b"Drafts", b"Junk", b"Sent", b"Trash")
        ]


async def test_rename_leaves_the_subscription_on_the_old_name(tmp_path: Path) -> None:
    async with imap_server(tmp_path) as server, RawImap.connect(server, login=ALICE) as c:
        await c.ok("CREATE Before/Inner")
        await c.ok("SUBSCRIBE Before")
        await c.ok("RENAME Before After")
        # RFC 9051 §6.3.6: "renaming a mailbox doesn't update subscription information"
        assert raws(await c.ok('LSUB "" "Before"')) == [b'* LSUB (\\Noselect) "/" Before']
        assert raws(await c.ok('LSUB "" "After*"')) == []
        assert raws(await c.ok('LIST "" "After" RETURN (SUBSCRIBED)')) == [
            b'* LIST (\\HasChildren) "/" After'
        ]
