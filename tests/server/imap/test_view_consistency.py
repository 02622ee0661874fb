"""Two sessions, random interleavings of deliveries, flag changes, expunges and
fetches: each session's numbering, rebuilt from nothing but the untagged
EXISTS and EXPUNGE it was sent, always matches the server's, and no EXPUNGE
ever arrives during FETCH, STORE or SEARCH (RFC 3501 §7.4.1, RFC 9051 §7.5.1).

A deterministic random walk (fixed seeds), so a failure replays exactly.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from harness.server.app import RunningServer
from tests.server.imap.helpers import ALICE, RawImap, Response, imap_server, message

pytestmark = pytest.mark.timeout(60)

STEPS = 40
SEEDS = range(6)
_NUMBERED = re.compile(rb"\* (\d+) (EXISTS|EXPUNGE)$")
_UID = re.compile(rb"\* (\d+) FETCH \(.*UID (\d+)")


class ClientModel:
    """What a client knows: one slot per message, its UID once seen (else None)."""

    def __init__(self, client: RawImap) -> None:
        self.client = client
        self.uids: list[int | None] = []

    def absorb(self, responses: list[Response], *, expunge_allowed: bool) -> None:
        for response in responses[:-1]:
            numbered = _NUMBERED.match(response.raw)
            if numbered and numbered[2] == b"EXISTS":
                count = int(numbered[1])
                assert count >= len(self.uids), "EXISTS may not shrink the mailbox"
                self.uids += [None] * (count - len(self.uids))
            elif numbered:
                assert expunge_allowed, f"EXPUNGE during a command that forbids it: {response}"
                del self.uids[int(numbered[1]) - 1]
            fetched = _UID.match(response.raw)
            if fetched:
                seq, uid = int(fetched[1]), int(fetched[2])
                known = self.uids[seq - 1]
                assert known in (None, uid), f"message {seq} was UID {known}, now {uid}"
                self.uids[seq - 1] = uid

    async def run(self, command: str, *, expunge_allowed: bool = True) -> list[Response]:
        responses = await self.client.command(command)
        self.absorb(responses, expunge_allowed=expunge_allowed)
        return responses


async def deliver(server: RunningServer, mailbox_id: int, number: int) -> None:
    await server.context.store.append(mailbox_id, message(number))


async def random_step(
    rng: random.Random, server: RunningServer, mailbox_id: int, sessions: list[ClientModel]
) -> None:
    session = rng.choice(sessions)
    count = len(session.uids)
    action = rng.choice(["deliver", "flag", "expunge", "fetch", "uidfetch", "search", "noop"])
    seq = rng.randint(1, count) if count else None
    if action == "deliver":
        await deliver(server, mailbox_id, rng.randint(1, 10_000))
    elif action == "flag" and seq:
        flag = rng.choice(["\\Seen", "\\Flagged", "\\Deleted", "$Work"])
        await session.run(f"STORE {seq} +FLAGS ({flag})", expunge_allowed=False)
    elif action == "expunge":
        await session.run("EXPUNGE")
    elif action == "fetch" and seq:
        await session.run(f"FETCH {seq}:* (UID FLAGS)", expunge_allowed=False)
    elif action == "uidfetch":
        await session.run("UID FETCH 1:* (FLAGS)")
    elif action == "search":
        await session.run("SEARCH ALL", expunge_allowed=False)
    else:
        await session.run("NOOP")


async def test_random_interleavings_keep_every_view_consistent(tmp_path: Path) -> None:
    async with (
        imap_server(tmp_path) as server,
        RawImap.connect(server, login=ALICE) as first,
        RawImap.connect(server, login=ALICE) as second,
    ):
        store = server.context.store
        account = await store.get_user(ALICE[0])
        assert account is not None
        for seed in SEEDS:
            rng = random.Random(seed)
            name = f"walk{seed}"
            mailbox = await store.create_mailbox(account.id, name)
            for number in range(rng.randint(0, 4)):
                await deliver(server, mailbox.id, number)
            sessions = [ClientModel(first), ClientModel(second)]
            for session in sessions:
                await session.run(f"SELECT {name}")
            for _ in range(STEPS):
                await random_step(rng, server, mailbox.id, sessions)
            stored = [m.uid for m in await store.list_messages(mailbox.id)]
            for session in sessions:
                await session.run("NOOP")
                await session.run("FETCH 1:* (UID)" if session.uids else "NOOP")
                assert session.uids == stored, f"seed {seed}"
