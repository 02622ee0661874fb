"""The account pool: parallel cases never share an account.

A case leases all the accounts it needs at once (so two cases can never each
hold one account and wait for the other's: no deadlock), least recently used
first. An account whose last case spoke SMTP rests ``settle_s`` seconds
before its next lease: mail that case handed to the server may still be on
its way into the mailbox (Postfix -> LMTP -> Dovecot takes ~0.3 s), and must
land before the next case cleans the mailbox, not after.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import trio

from harness.targets import Account

DEFAULT_SETTLE_S = 2.0


class AccountPool:
    def __init__(self, accounts: Sequence[Account], *, settle_s: float = DEFAULT_SETTLE_S) -> None:
        self.accounts = tuple(accounts)
        self.settle_s = settle_s
        self._free = list(range(len(self.accounts)))  # least recently used first
        self._changed = trio.Condition()
        self._quiet_at: dict[int, float] = {}  # index -> trio time its SMTP mail has landed

    @asynccontextmanager
    async def lease(self, count: int, *, smtp: bool) -> AsyncIterator[list[Account]]:
        """``count`` accounts for one case; ``smtp``: the case may send mail to them."""
        if count > len(self.accounts):
            raise ValueError(f"{count} accounts needed, the pool has {len(self.accounts)}")
        async with self._changed:
            while len(self._free) < count:
                await self._changed.wait()
            taken, self._free[:count] = self._free[:count], []
        try:
            await trio.sleep_until(max((self._quiet_at.get(i, 0.0) for i in taken), default=0.0))
            yield [self.accounts[index] for index in taken]
        finally:
            with trio.CancelScope(shield=True):
                if smtp:
                    quiet = trio.current_time() + self.settle_s
                    self._quiet_at.update(dict.fromkeys(taken, quiet))
                async with self._changed:
                    self._free.extend(taken)
                    self._changed.notify_all()
