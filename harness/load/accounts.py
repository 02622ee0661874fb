"""Which target accounts send and which receive, and who reads which mailbox.

A profile names accounts by pattern (``senders = "load*"``); they are matched
against the target's account list. Readers cover recipient mailboxes one
each, and senders address only the mailboxes some reader covers, so every
delivery can be timed; the final sweep finds the rest. In a run of several
processes, process ``p`` of ``P`` gives its ``k``-th reader recipient
``k*P + p``: with locust spreading users evenly over workers, the readers
cover the first mailboxes without a coordinator.
"""

from __future__ import annotations

import fnmatch
import itertools
from collections.abc import Iterator

from harness.load.profile import Profile
from harness.targets import Account, Target, TargetError


def matching(target: Target, pattern: str) -> list[Account]:
    found = [account for account in target.accounts if fnmatch.fnmatchcase(account.user, pattern)]
    if not found:
        names = ", ".join(account.user for account in target.accounts[:5]) or "none"
        raise TargetError(f"{target.source}: no account matches {pattern!r} (accounts: {names}...)")
    return found


def reader_count(profile: Profile) -> int:
    return profile.peak("imap") + profile.peak("pop3")


def covered_recipients(profile: Profile, target: Target) -> list[Account]:
    """The mailboxes senders address: one per reader, or all when nobody reads."""
    recipients = matching(target, profile.accounts.recipients)
    readers = reader_count(profile)
    return recipients[: min(readers, len(recipients))] if readers else recipients


def spread(accounts: list[Account], process: int, processes: int) -> Iterator[Account]:
    """Accounts for process ``process`` of ``processes``: k*P + p, wrapping around."""
    for k in itertools.count():
        yield accounts[(k * processes + process) % len(accounts)]
