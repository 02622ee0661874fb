"""LIST (RFC 9051 §6.3.9, RFC 3501 §6.3.8) with LIST-EXTENDED (RFC 5258),
SPECIAL-USE (RFC 6154), CHILDREN (RFC 3348) and LIST-STATUS (RFC 5819), and
the rev1 LSUB (RFC 3501 §6.3.9).

Names are "/"-delimited, in one personal namespace with an empty prefix.
"*" matches any characters, "%" any but the delimiter (RFC 3501 §6.3.8); the
reference is prefixed to each pattern. INBOX matches case-insensitively
(RFC 3501 §5.1). Every entry carries \\HasChildren or \\HasNoChildren (RFC
3348 §4 lets a server send them always) and its special-use attribute (RFC
6154 §2); \\Subscribed only when asked (RFC 5258 §3.4). Subscriptions are
names kept apart from the mailboxes: a subscribed name no mailbox has is
listed by LIST (SUBSCRIBED) as \\NonExistent and by LSUB as \\Noselect.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from harness.protocols.imap import List, ListResponse, Lsub
from harness.server.imap.authenticated.status import emit_status
from harness.server.imap.base import Done, Session
from harness.server.store import Mailbox

DELIMITER = "/"
INBOX = "INBOX"


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """A list-mailbox pattern as a regular expression over whole names."""
    head, sep, rest = pattern.partition(DELIMITER)
    if head.upper() == INBOX:  # RFC 3501 §5.1: INBOX is case-insensitive
        pattern = INBOX + sep + rest
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "%":
            parts.append(f"[^{re.escape(DELIMITER)}]*")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def has_children(name: str, everything: Sequence[Mailbox]) -> bool:
    prefix = name + DELIMITER
    return any(other.name.startswith(prefix) for other in everything)


def list_attributes(
    mailbox: Mailbox | None, name: str, everything: Sequence[Mailbox], *, subscribed: bool
) -> tuple[str, ...]:
    """mbx-list-flags for one name (RFC 9051 §7.3.1); ``mailbox`` None for a
    subscribed name no mailbox has, which RFC 5258 §3.4 marks \\NonExistent."""
    attributes = []
    if mailbox is None:
        attributes.append("\\NonExistent")  # RFC 5258 §3: it implies \\Noselect
    elif not mailbox.selectable:
        attributes.append("\\Noselect")
    children = has_children(name, everything)
    attributes.append("\\HasChildren" if children else "\\HasNoChildren")
    if mailbox is not None and mailbox.special_use:
        attributes.append(mailbox.special_use)
    if subscribed:
        attributes.append("\\Subscribed")
    return tuple(attributes)


async def list_mailboxes(s: Session, command: List) -> Done:
    if not command.extended and command.patterns == ("",):
        _emit_root(s, command.reference)
        return Done("LIST completed")
    everything = await s.ctx.store.list_mailboxes(s.account.id)
    show_subscribed = "SUBSCRIBED" in command.selection + command.return_options
    subscribed = await _subscriptions(s) if show_subscribed else frozenset()
    # RFC 5258 §3: in an extended LIST an empty pattern matches nothing
    regexes = [_full_pattern(s, command.reference, p) for p in command.patterns if p]
    by_name = {mailbox.name: mailbox for mailbox in everything}
    for name, extended in _selected_entries(command, everything, subscribed, regexes):
        mailbox = by_name.get(name)
        attributes = list_attributes(mailbox, name, everything, subscribed=name in subscribed)
        s.emit(ListResponse(attributes, DELIMITER, s.wire_name(name), extended))
        if command.return_status is not None and mailbox and mailbox.selectable:  # RFC 5819 §2
            await emit_status(s, mailbox, command.return_status)
        await s.flush_if_large()
    return Done("LIST completed")


async def _subscriptions(s: Session) -> frozenset[str]:
    return frozenset(await s.ctx.store.list_subscriptions(s.account.id))


def _candidate_names(
    command: List, everything: Sequence[Mailbox], subscribed: frozenset[str]
) -> list[str]:
    """Every existing name; with the SUBSCRIBED selection also the subscribed
    names and their superiors, mailboxes or not: RFC 9051 §6.3.9.1 "It's also
    possible for this list to contain the names of mailboxes that don't exist"."""
    names = [mailbox.name for mailbox in everything]
    if "SUBSCRIBED" not in command.selection:
        return names
    extra = set(subscribed).union(*(_parents(name) for name in subscribed)) - set(names)
    return sorted([*names, *extra], key=lambda name: (name != INBOX, name))


def _selected_entries(
    command: List,
    everything: Sequence[Mailbox],
    subscribed: frozenset[str],
    regexes: Sequence[re.Pattern[str]],
) -> list[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]]:
    """The names the selection options and patterns pick, with CHILDINFO data."""
    selection = command.selection
    special = {mailbox.name for mailbox in everything if mailbox.special_use}
    entries = []
    for name in _candidate_names(command, everything, subscribed):
        if not any(r.fullmatch(name) for r in regexes):
            continue
        if "SPECIAL-USE" in selection and name not in special:
            continue
        extended: tuple[tuple[str, tuple[str, ...]], ...] = ()
        if "SUBSCRIBED" in selection:
            recursive = "RECURSIVEMATCH" in selection
            hidden_child = recursive and _subscribed_child_unmatched(name, subscribed, regexes)
            if hidden_child:  # RFC 5258 §3.5: the parent of a match stands in for it
                extended = (("CHILDINFO", ("SUBSCRIBED",)),)
            if not (name in subscribed or hidden_child):
                continue
        entries.append((name, extended))
    return entries


def _subscribed_child_unmatched(
    name: str, subscribed: frozenset[str], regexes: Sequence[re.Pattern[str]]
) -> bool:
    prefix = name + DELIMITER
    return any(
        other.startswith(prefix) and not any(r.fullmatch(other) for r in regexes)
        for other in subscribed
    )


def _full_pattern(s: Session, reference: str, pattern: str) -> re.Pattern[str]:
    return pattern_regex(s.mailbox_name(reference + pattern))


def _emit_root(s: Session, reference: str) -> None:
    """RFC 3501 §6.3.8: an empty pattern asks for the delimiter and the
    reference's root ("" here, or the reference up to its first delimiter)."""
    head, sep, _ = reference.partition(DELIMITER)
    root = head + sep if sep else ""
    s.emit(ListResponse(("\\Noselect",), DELIMITER, root))


async def lsub(s: Session, command: Lsub) -> Done:
    """RFC 3501 §6.3.9: subscribed names, kept even when no mailbox has them
    any more (those come back \\Noselect); with "%", a parent of a subscribed
    name that is not itself subscribed comes back \\Noselect."""
    everything = await s.ctx.store.list_mailboxes(s.account.id)
    subscribed = await s.ctx.store.list_subscriptions(s.account.id)
    regex = _full_pattern(s, command.reference, command.pattern)
    names = {name for name in subscribed if regex.fullmatch(name)}
    stand_ins = {  # only for a subscribed name the pattern itself does not reach
        parent
        for name in subscribed
        if name not in names
        for parent in _parents(name)
        if parent not in names and regex.fullmatch(parent)
    }
    selectable = {mailbox.name for mailbox in everything if mailbox.selectable}
    for name in sorted(names | stand_ins, key=lambda name: (name != INBOX, name)):
        attributes = () if name in names and name in selectable else ("\\Noselect",)
        s.emit(ListResponse(attributes, DELIMITER, s.wire_name(name), lsub=True))
    return Done("LSUB completed")


def _parents(name: str) -> list[str]:
    parts = name.split(DELIMITER)
    return [DELIMITER.join(parts[:depth]) for depth in range(1, len(parts))]
