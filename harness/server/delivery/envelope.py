"""The envelope of one accepted SMTP transaction, as delivery needs it.

``MailEnvelope`` is what the SMTP session hands to ``deliver``: the reverse
path, every accepted recipient (local ones with the account they reach,
relayed ones without), and the MAIL parameters that travel with the message
(BODY, SMTPUTF8, and the DSN parameters RET and ENVID of RFC 3461). Each
``Recipient`` keeps its own NOTIFY and ORCPT (RFC 3461 §4.1, §4.2).

Recipients are kept in RCPT order, duplicates included; ``local`` and
``relayed`` give each destination once (RFC 5321 §3.3 leaves duplicate
RCPTs to the server: the same mailbox gets one copy).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Recipient:
    """One accepted RCPT.

    ``address``: the mailbox as it goes on the wire (RFC 5321 §2.4: the local
    part keeps its case; quoted if it is not a Dot-string), source route
    dropped. ``account``: the local account it is delivered to, or None when
    it is relayed. ``notify``: None (not given), ("NEVER",) or some of
    "SUCCESS", "FAILURE", "DELAY"; ``orcpt``: (addr-type, original address).
    """

    address: str
    account: str | None = None
    notify: tuple[str, ...] | None = None
    orcpt: tuple[str, str] | None = None

    @property
    def is_local(self) -> bool:
        return self.account is not None

    @property
    def relay_key(self) -> str:
        """Equal for two spellings of one remote mailbox: the domain folds, the
        local part does not (RFC 5321 §2.4)."""
        local, at, domain = self.address.rpartition("@")
        return f"{local}{at}{domain.lower()}"


@dataclass(frozen=True, slots=True)
class MailEnvelope:
    """One transaction's envelope; ``reverse_path`` "" is the null path ``<>``."""

    reverse_path: str
    recipients: tuple[Recipient, ...]
    body: str | None = None  # "7BIT", "8BITMIME" (RFC 6152) or "BINARYMIME" (RFC 3030)
    smtputf8: bool = False  # RFC 6531
    ret: str | None = None  # RFC 3461 §4.3: "FULL" or "HDRS"
    envid: str | None = None  # RFC 3461 §4.4, xtext-decoded

    @property
    def local(self) -> tuple[Recipient, ...]:
        """Local recipients, one per account (the first RCPT that reached it)."""
        seen: dict[str, Recipient] = {}
        for recipient in self.recipients:
            if recipient.account is not None:
                seen.setdefault(recipient.account.lower(), recipient)
        return tuple(seen.values())

    @property
    def relayed(self) -> tuple[Recipient, ...]:
        """Remote recipients, one per mailbox."""
        seen: dict[str, Recipient] = {}
        for recipient in self.recipients:
            if recipient.account is None:
                seen.setdefault(recipient.relay_key, recipient)
        return tuple(seen.values())

    @property
    def destinations(self) -> int:
        """How many distinct mailboxes the message goes to."""
        return len(self.local) + len(self.relayed)
