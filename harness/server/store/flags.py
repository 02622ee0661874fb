"""Message flags as stored: system flags in a bit mask, keywords as text.

RFC 3501 §2.3.2: system flags begin with "\\" and are case-insensitive;
keywords are atoms. A bit mask keeps "expunge all \\Deleted" and "count
unseen" to an integer test in SQL instead of string matching.
"""

from __future__ import annotations

from collections.abc import Iterable

from harness.server.store.errors import InvalidFlag
from harness.server.store.models import FlagOperation, Flags

SEEN = 1
ANSWERED = 2
FLAGGED = 4
DELETED = 8
DRAFT = 16

SYSTEM_FLAG_BITS = {
    "\\Seen": SEEN,
    "\\Answered": ANSWERED,
    "\\Flagged": FLAGGED,
    "\\Deleted": DELETED,
    "\\Draft": DRAFT,
}
_CANONICAL_SYSTEM = {name.lower(): name for name in SYSTEM_FLAG_BITS}

# RFC 3501 §9: atom-specials are "(" ")" "{" SP CTL list-wildcards quoted-specials
# resp-specials; a keyword (flag-keyword = atom) may contain none of them.
_ATOM_SPECIALS = frozenset('(){ %*"\\]')


def canonical_flags(flags: Iterable[str]) -> Flags:
    """Validate and spell flags canonically; keywords dedupe case-insensitively."""
    result: dict[str, str] = {}
    for flag in flags:
        name = _canonical_flag(flag)
        result.setdefault(name.lower(), name)
    return frozenset(result.values())


def _canonical_flag(flag: str) -> str:
    if flag.startswith("\\"):
        canonical = _CANONICAL_SYSTEM.get(flag.lower())
        if canonical is None:  # \Recent included: the server alone sets it
            raise InvalidFlag(f"not a storable system flag: {flag!r}")
        return canonical
    if not flag or any(ch in _ATOM_SPECIALS or ord(ch) < 0x21 or ord(ch) == 0x7F for ch in flag):
        raise InvalidFlag(f"not a valid keyword: {flag!r}")
    return flag


def encode_flags(flags: Flags) -> tuple[int, str]:
    """Canonical flags -> (system bit mask, space-separated keywords)."""
    bits = 0
    keywords = []
    for flag in sorted(flags):
        bit = SYSTEM_FLAG_BITS.get(flag)
        if bit is None:
            keywords.append(flag)
        else:
            bits |= bit
    return bits, " ".join(keywords)


def decode_flags(bits: int, keywords: str) -> Flags:
    system = {name for name, bit in SYSTEM_FLAG_BITS.items() if bits & bit}
    return frozenset(system.union(keywords.split()))


def apply_flag_operation(current: Flags, operation: FlagOperation, operand: Flags) -> Flags:
    """The flags after STORE; keyword matching is case-insensitive."""
    if operation is FlagOperation.SET:
        return operand
    if operation is FlagOperation.ADD:
        return canonical_flags([*current, *operand])
    removed = {flag.lower() for flag in operand}
    return frozenset(flag for flag in current if flag.lower() not in removed)
