"""The compiled script: one small frozen node per supported command and test.

``compiler`` builds these from the generic syntax tree once every argument
has been checked, so the interpreter never meets a malformed node.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class MatchType(Enum):
    """RFC 5228 §2.7.1 MATCH-TYPE = ":is" / ":contains" / ":matches"."""

    IS = "is"
    CONTAINS = "contains"
    MATCHES = "matches"


class Comparator(Enum):
    """RFC 5228 §2.7.3: the two comparators every implementation MUST support."""

    OCTET = "i;octet"
    ASCII_CASEMAP = "i;ascii-casemap"


class AddressPart(Enum):
    """RFC 5228 §2.7.4 ADDRESS-PART = ":localpart" / ":domain" / ":all"."""

    ALL = "all"
    LOCALPART = "localpart"
    DOMAIN = "domain"


@dataclass(frozen=True, slots=True)
class Match:
    """How a test compares values: match type, comparator and the key-list."""

    match_type: MatchType
    comparator: Comparator
    keys: tuple[str, ...]


# ---- tests (RFC 5228 §5, RFC 5232 §4)


@dataclass(frozen=True, slots=True)
class HeaderTest:
    names: tuple[str, ...]
    match: Match


@dataclass(frozen=True, slots=True)
class AddressTest:
    names: tuple[str, ...]
    part: AddressPart
    match: Match


@dataclass(frozen=True, slots=True)
class EnvelopeTest:
    parts: tuple[str, ...]  # "from" / "to", lower-cased
    part: AddressPart
    match: Match


@dataclass(frozen=True, slots=True)
class SizeTest:
    over: bool  # False: ":under"
    limit: int


@dataclass(frozen=True, slots=True)
class ExistsTest:
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AllOf:
    tests: tuple[Test, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    tests: tuple[Test, ...]


@dataclass(frozen=True, slots=True)
class Not:
    test: Test


@dataclass(frozen=True, slots=True)
class Constant:
    """``true`` or ``false``."""

    value: bool


@dataclass(frozen=True, slots=True)
class HasFlag:
    """RFC 5232 §4 hasflag on the internal flag variable; keys are flag patterns."""

    match: Match


Test = (
    HeaderTest
    | AddressTest
    | EnvelopeTest
    | SizeTest
    | ExistsTest
    | AllOf
    | AnyOf
    | Not
    | Constant
    | HasFlag
)


# ---- commands (RFC 5228 §3, §4; RFC 5232 §3, §5)


@dataclass(frozen=True, slots=True)
class If:
    """An if/elsif/else chain: the first branch whose test is true runs."""

    branches: tuple[tuple[Test, tuple[Command, ...]], ...]
    otherwise: tuple[Command, ...]


@dataclass(frozen=True, slots=True)
class Stop:
    pass


@dataclass(frozen=True, slots=True)
class Keep:
    flags: tuple[str, ...] | None  # None: use the internal flag variable


@dataclass(frozen=True, slots=True)
class Discard:
    pass


@dataclass(frozen=True, slots=True)
class FileInto:
    mailbox: str
    flags: tuple[str, ...] | None  # None: use the internal flag variable


class FlagOperation(Enum):
    SET = "setflag"
    ADD = "addflag"
    REMOVE = "removeflag"


@dataclass(frozen=True, slots=True)
class ChangeFlags:
    """setflag / addflag / removeflag on the internal flag variable."""

    operation: FlagOperation
    flags: tuple[str, ...]


Command = If | Stop | Keep | Discard | FileInto | ChangeFlags
