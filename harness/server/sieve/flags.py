"""RFC 5232 flag lists and the one internal flag variable they change.

A list-of-flags is a string-list; each string may hold several flags
separated by spaces (RFC 5232 §2, general requirements for flags). Flags are
IMAP flags (RFC 3501 §2.3.2): the system flags, case-insensitive, and keywords
(atoms). A string that is no storable IMAP flag is dropped, as other servers
do, so a delivery never hands the store a flag it must refuse; ``\\Recent``
is among them because only the server may set it.

The variable keeps first-seen order and spelling so results read predictably;
comparisons between flags are case-insensitive throughout.
"""

from __future__ import annotations

from collections.abc import Iterable

SYSTEM_FLAGS = ("\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft")
_SYSTEM_BY_FOLDED = {flag.lower(): flag for flag in SYSTEM_FLAGS}

# RFC 3501 §9: atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards /
#                              quoted-specials / resp-specials
_ATOM_SPECIALS = frozenset('(){ %*"\\]')


def flags_from_strings(strings: Iterable[str]) -> tuple[str, ...]:
    """The valid flags named in a list-of-flags, without duplicates."""
    found = (_storable(word) for string in strings for word in string.split(" "))
    return add_flags((), (flag for flag in found if flag is not None))


def add_flags(current: tuple[str, ...], added: Iterable[str]) -> tuple[str, ...]:
    """``current`` plus each flag of ``added`` that it does not hold yet."""
    result = list(current)
    held = {flag.lower() for flag in current}
    for flag in added:
        if flag.lower() not in held:
            held.add(flag.lower())
            result.append(flag)
    return tuple(result)


def remove_flags(current: tuple[str, ...], removed: Iterable[str]) -> tuple[str, ...]:
    folded = {flag.lower() for flag in removed}
    return tuple(flag for flag in current if flag.lower() not in folded)


def _storable(word: str) -> str | None:
    """The canonical spelling of ``word`` as an IMAP flag, or None if it is none."""
    if word.startswith("\\"):
        return _SYSTEM_BY_FOLDED.get(word.lower())
    if word and all(0x21 <= ord(char) < 0x7F and char not in _ATOM_SPECIALS for char in word):
        return word
    return None
