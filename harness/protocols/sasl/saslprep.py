"""SASLprep (RFC 4013): the stringprep profile for user names and passwords.

RFC 4013 §2: map (non-ASCII spaces -> SPACE, table B.1 -> nothing), normalise
with Unicode NFKC, prohibit tables C.1.2-C.9, check bidi (RFC 3454 §6), and
(stored strings only) prohibit unassigned code points (A.1). Python's stdlib
``stringprep`` carries exactly those tables, for Unicode 3.2 as the RFC asks.

The "lite" part is the policy, in ``normalize``: RFC 5802 §2.2 says Normalize()
applies SASLprep with *query* semantics; when the result is prohibited we use
the string unchanged instead of refusing (as PostgreSQL does). Both sides of the
harness use the same function, so they agree, and odd passwords stay testable.
"""

from __future__ import annotations

import stringprep
import unicodedata

_PROHIBITED = (
    stringprep.in_table_c12,
    stringprep.in_table_c21_c22,
    stringprep.in_table_c3,
    stringprep.in_table_c4,
    stringprep.in_table_c5,
    stringprep.in_table_c6,
    stringprep.in_table_c7,
    stringprep.in_table_c8,
    stringprep.in_table_c9,
)


class SaslPrepError(ValueError):
    """The string holds a character SASLprep prohibits."""


def saslprep(text: str, *, allow_unassigned: bool = True) -> str:
    """Apply RFC 4013; ``allow_unassigned`` is True for queries, False for stored strings."""
    if text.isascii() and text.isprintable():
        return text  # printable ASCII maps to itself: the common fast path
    mapped = "".join(
        " " if stringprep.in_table_c12(ch) else ch for ch in text if not stringprep.in_table_b1(ch)
    )
    normal = unicodedata.ucd_3_2_0.normalize("NFKC", mapped)
    for ch in normal:
        if any(table(ch) for table in _PROHIBITED):
            raise SaslPrepError(f"prohibited character U+{ord(ch):04X}")
        if not allow_unassigned and stringprep.in_table_a1(ch):
            raise SaslPrepError(f"unassigned code point U+{ord(ch):04X}")
    _check_bidi(normal)
    return normal


def _check_bidi(text: str) -> None:
    # RFC 3454 §6: a string with any RandALCat character must hold no LCat
    # character, and must start and end with a RandALCat character.
    if not any(stringprep.in_table_d1(ch) for ch in text):
        return
    if any(stringprep.in_table_d2(ch) for ch in text):
        raise SaslPrepError("mixes right-to-left and left-to-right characters")
    if not (stringprep.in_table_d1(text[0]) and stringprep.in_table_d1(text[-1])):
        raise SaslPrepError("right-to-left string must start and end right-to-left")


def normalize(text: str) -> str:
    """RFC 5802 Normalize(): SASLprep (query), falling back to the text unchanged."""
    try:
        return saslprep(text)
    except SaslPrepError:
        return text


def utf8(text: str) -> bytes:
    """UTF-8 octets of ``text``; lone surrogates pass through rather than crash."""
    return text.encode("utf-8", "surrogatepass")
