"""SEARCH evaluation (RFC 3501 §6.4.4, RFC 9051 §6.4.4): a search-key tree
compiled once into a predicate over the messages of the selected mailbox.

A message's bytes are loaded only for the keys that read them (header, body,
Date:), and at most once per message and search: ``needs_content`` tells the
session whether to offer them at all.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from harness.protocols.imap.search import (
    SearchAnd,
    SearchDate,
    SearchHeader,
    SearchKey,
    SearchKeyword,
    SearchModSeq,
    SearchNot,
    SearchOr,
    SearchSet,
    SearchSimple,
    SearchSize,
    SearchText,
)
from harness.server.imap.message_view import MessageView

SUPPORTED_CHARSETS = ("UTF-8", "US-ASCII")
"""For the BADCHARSET response code (RFC 3501 §7.1): what CHARSET may name."""


class SearchError(Exception):
    """A search the server cannot evaluate: answer NO [BADCHARSET (...)]."""


@dataclass(frozen=True)
class SearchCandidate:
    """One message as SEARCH sees it; ``view`` loads its bytes on demand."""

    seq: int
    uid: int
    flags: frozenset[str]
    internal_date: datetime.datetime
    size: int
    modseq: int
    recent: bool
    view: Callable[[], MessageView]


class _Subject:
    """A candidate while one search runs: its view loaded at most once."""

    __slots__ = ("_view", "candidate", "flags")

    def __init__(self, candidate: SearchCandidate) -> None:
        self.candidate = candidate
        # RFC 9051 §2.3.2: flags compare case-insensitively.
        self.flags = frozenset(flag.lower() for flag in candidate.flags)
        self._view: MessageView | None = None

    @property
    def view(self) -> MessageView:
        if self._view is None:
            self._view = self.candidate.view()
        return self._view


Predicate = Callable[[_Subject], bool]


def check_charset(charset: str | None) -> None:
    """RFC 3501 §6.4.4: "If the server does not support the specified
    [CHARSET], it MUST return a tagged NO response (not a BAD)." Search
    strings arrive as UTF-8, which US-ASCII is a subset of."""
    if charset is not None and charset.upper() not in SUPPORTED_CHARSETS:
        raise SearchError(f"unsupported charset {charset}")


def compile_search(
    key: SearchKey,
    *,
    max_seq: int,
    max_uid: int,
    saved_uids: frozenset[int] | None = None,
    charset: str | None = None,
) -> Callable[[SearchCandidate], bool]:
    """A predicate for ``key``. "*" in a sequence set is ``max_seq`` (or
    ``max_uid`` after UID); "$" is ``saved_uids`` (RFC 5182 §2.1: empty
    until a SEARCH ... RETURN (SAVE))."""
    check_charset(charset)
    context = _Context(max_seq, max_uid, saved_uids or frozenset())
    predicate = context.compile(key)
    return lambda candidate: predicate(_Subject(candidate))


def needs_content(key: SearchKey) -> bool:
    """Whether ``key`` reads a message's header or body (so its bytes)."""
    match key:
        case SearchText() | SearchHeader():
            return True
        case SearchDate(name=name):
            return name.startswith("SENT")
        case SearchNot(key=inner):
            return needs_content(inner)
        case SearchOr(left=left, right=right):
            return needs_content(left) or needs_content(right)
        case SearchAnd(keys=keys):
            return any(needs_content(k) for k in keys)
    return False


@dataclass(frozen=True)
class _Context:
    max_seq: int
    max_uid: int
    saved_uids: frozenset[int]

    def compile(self, key: SearchKey) -> Predicate:
        match key:
            case SearchSimple(name=name):
                return _simple(name)
            case SearchKeyword(name=name, keyword=keyword):
                present = _has_flag(keyword)
                return present if name == "KEYWORD" else _negate(present)
            case SearchText(name=name, value=value):
                return _text(name, value)
            case SearchHeader(field=field, value=value):
                return _header(field, value)
            case SearchDate(name=name, date=when):
                return _date(name, when)
            case SearchSize(name=name, size=size):
                if name == "LARGER":  # "larger than the specified number of octets"
                    return lambda s: s.candidate.size > size
                return lambda s: s.candidate.size < size
            case SearchSet():
                return self._set(key)
            case SearchModSeq(modseq=modseq):
                # RFC 7162 §3.1.5: "modification sequence ... equal to or greater"
                return lambda s: s.candidate.modseq >= modseq
        return self._compound(key)

    def _compound(self, key: SearchKey) -> Predicate:
        match key:
            case SearchNot(key=inner):
                return _negate(self.compile(inner))
            case SearchOr(left=left, right=right):
                first, second = self.compile(left), self.compile(right)
                return lambda s: first(s) or second(s)
            case SearchAnd(keys=keys):
                # Cheap keys first: a message that fails on flags or size is
                # never loaded for a body search later in the list.
                ordered = sorted(keys, key=needs_content)
                parts = [self.compile(k) for k in ordered]
                return lambda s: all(p(s) for p in parts)
        raise SearchError(f"search key not supported: {key!r}")

    def _set(self, key: SearchSet) -> Predicate:
        sequence_set = key.sequence_set
        if sequence_set.saved:
            saved = self.saved_uids
            return lambda s: s.candidate.uid in saved
        if key.uid:
            largest = self.max_uid
            return lambda s: sequence_set.contains(s.candidate.uid, largest)
        largest = self.max_seq
        return lambda s: sequence_set.contains(s.candidate.seq, largest)


_FLAG_KEYS = {
    "ANSWERED": "\\answered",
    "DELETED": "\\deleted",
    "DRAFT": "\\draft",
    "FLAGGED": "\\flagged",
    "SEEN": "\\seen",
}


def _simple(name: str) -> Predicate:
    if name == "ALL":
        return lambda s: True
    if name in _FLAG_KEYS:
        return _has_flag(_FLAG_KEYS[name])
    if name.startswith("UN") and name[2:] in _FLAG_KEYS:
        return _negate(_has_flag(_FLAG_KEYS[name[2:]]))
    if name == "RECENT":
        return lambda s: s.candidate.recent
    if name == "NEW":  # RFC 3501: "functionally equivalent to (RECENT UNSEEN)"
        return lambda s: s.candidate.recent and "\\seen" not in s.flags
    if name == "OLD":  # "functionally equivalent to NOT RECENT"
        return lambda s: not s.candidate.recent
    raise SearchError(f"search key not supported: {name}")


def _has_flag(flag: str) -> Predicate:
    wanted = flag.lower()
    return lambda s: wanted in s.flags


def _negate(predicate: Predicate) -> Predicate:
    return lambda s: not predicate(s)


_ADDRESS_FIELDS = {"FROM": "From", "TO": "To", "CC": "Cc", "BCC": "Bcc", "SUBJECT": "Subject"}


def _text(name: str, value: str) -> Predicate:
    if name == "BODY":
        return lambda s: s.view.text_contains(value, headers=False)
    if name == "TEXT":
        return lambda s: s.view.text_contains(value, headers=True)
    if name not in _ADDRESS_FIELDS:
        raise SearchError(f"search key not supported: {name}")
    return _header(_ADDRESS_FIELDS[name], value)


def _header(field: str, value: str) -> Predicate:
    """RFC 3501 §6.4.4 HEADER: "contains the specified string in the text of
    the header (what comes after the colon). If the string to search is
    zero-length, this matches all messages that have a header line with the
    specified field-name regardless of the contents." """
    needle = value.casefold()
    return lambda s: any(needle in text.casefold() for text in s.view.header_values(field))


def _date(name: str, when: datetime.date) -> Predicate:
    """BEFORE/ON/SINCE compare the internal date, SENT* the Date: field, both
    "disregarding time and timezone": the day as written in its own zone."""
    compare = _DATE_TESTS.get(name.removeprefix("SENT"))
    if compare is None:
        raise SearchError(f"search key not supported: {name}")
    if name.startswith("SENT"):

        def sent(s: _Subject) -> bool:
            day = s.view.sent_date()
            return day is not None and compare(day, when)

        return sent
    return lambda s: compare(s.candidate.internal_date.date(), when)


_DATE_TESTS: dict[str, Callable[[datetime.date, datetime.date], bool]] = {
    "BEFORE": lambda day, when: day < when,
    "ON": lambda day, when: day == when,
    "SINCE": lambda day, when: day >= when,
}
