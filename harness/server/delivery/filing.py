"""Filing rules at delivery: each local recipient's Sieve script decides where
the message goes (RFC 5228; the engine is ``harness.server.sieve``).

Scripts come from the config's accounts, are compiled once per account list
(they were checked when the config loaded), and run on the message as it will
be stored, trace fields included, so a rule sees what an IMAP client sees
and the size test compares the stored size. An account without a script
keeps the message in INBOX (``KEEP``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from harness.server.config import AccountConfig
from harness.server.delivery.envelope import Recipient
from harness.server.sieve import KEEP, Delivery, Envelope, Script, compile_script


@dataclass(frozen=True, slots=True)
class Filing:
    """Where one local account gets the message: mailboxes and flags, in script order.

    Empty ``deliveries``: the script discarded it (RFC 5228 §4.4).
    """

    account: str
    deliveries: tuple[Delivery, ...]


class FilingRules:
    """The compiled scripts of every account that has one, by account name."""

    def __init__(self, scripts: Mapping[str, Script]) -> None:
        self._scripts = {name.lower(): script for name, script in scripts.items()}

    @property
    def any(self) -> bool:
        """Whether some account has rules (else filing is trivial and instant)."""
        return bool(self._scripts)

    def has_rules(self, account: str) -> bool:
        return account.lower() in self._scripts

    def file(self, message: bytes, reverse_path: str, recipient: Recipient) -> Filing:
        """Run the recipient's script (pure, but reads the header: not on the event loop)."""
        assert recipient.account is not None, "only local recipients are filed"
        script = self._scripts.get(recipient.account.lower())
        if script is None:
            return Filing(recipient.account, KEEP.deliver_to)
        # RFC 5228 §5.4: "to" is this recipient's RCPT address, "from" MAIL FROM
        envelope = Envelope(mail_from=reverse_path, rcpt_to=recipient.address)
        actions = script.evaluate(message, envelope, size=len(message))
        return Filing(recipient.account, actions.deliver_to)


def keep_all(recipients: tuple[Recipient, ...]) -> tuple[Filing, ...]:
    """Every recipient's copy in its INBOX, unflagged: no rules to run."""
    return tuple(Filing(r.account, KEEP.deliver_to) for r in recipients if r.account is not None)


@lru_cache(maxsize=16)
def filing_rules(accounts: tuple[AccountConfig, ...]) -> FilingRules:
    """The rules of a config's accounts, compiled once per distinct account list."""
    return FilingRules(
        {account.user: compile_script(account.sieve) for account in accounts if account.sieve}
    )
