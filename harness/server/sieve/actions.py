"""What goes into an evaluation (the envelope) and what comes out (the actions).

``Actions`` is the whole outcome for one message and one recipient: the
mailboxes to store it in, each with the IMAP flags to set, in the order the
script asked. "keep" and the implicit keep (RFC 5228 §2.10.2) appear as
deliveries to INBOX, so the caller stores exactly what ``deliver_to`` lists
and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

INBOX = "INBOX"


class Delivery(NamedTuple):
    """Store the message in ``mailbox`` (a UTF-8 name, "/"-delimited) with ``flags``."""

    mailbox: str
    flags: frozenset[str]


@dataclass(frozen=True, slots=True)
class Actions:
    """The outcome of running a script on one message.

    ``implicit_keep`` says the INBOX delivery is the implicit keep, because no
    action cancelled it. An empty ``deliver_to`` means the script discarded
    the message (RFC 5228 §4.4: discard throws the message away silently), so
    nothing is stored and nobody is told.
    """

    deliver_to: tuple[Delivery, ...]
    implicit_keep: bool = False

    @property
    def discarded(self) -> bool:
        return not self.deliver_to


# What the server does when there is no script, and what it falls back to when
# a script fails at run time (see docs/filing-rules.md): keep in INBOX.
KEEP = Actions((Delivery(INBOX, frozenset()),), implicit_keep=True)


@dataclass(frozen=True, slots=True)
class Envelope:
    """The SMTP envelope of one delivery (RFC 5228 §5.4).

    ``mail_from`` is the reverse-path, "" for the null sender ``<>``;
    ``rcpt_to`` is the one recipient this delivery is for: the address of the
    RCPT command that caused delivery to this user. Angle brackets and source
    routes may be left on; the envelope test drops them.
    """

    mail_from: str
    rcpt_to: str
