"""Match types (RFC 5228 §2.7.1) over the two comparators of RFC 4790 §9.

RFC 5228 §2.7.2: "Comparisons are performed on octets", on the UTF-8 form of
the decoded text. Both comparators work on octet strings (RFC 4790 §9.2,
§9.3), so a ":matches" "?" stands for one octet, not one character: "caf?"
does not match "café", whose last character is two octets in UTF-8.

- "i;octet" compares octets as they are.
- "i;ascii-casemap" first maps a-z to A-Z and leaves every other octet alone,
  so only US-ASCII letters are case-insensitive.

":matches" keys are wildcard patterns: "*" matches zero or more octets, "?"
exactly one, and "\\" makes the next character literal (RFC 5228 §2.7.1:
"\\?" and "\\*" in a script's string match the characters themselves). The
whole value must match, and the matcher backtracks only to the last "*", so
its cost is bounded by len(pattern) * len(value) whatever the pattern.
"""

from __future__ import annotations

from functools import lru_cache

from harness.server.sieve.nodes import Comparator, Match, MatchType

# Pattern elements are octet values 0-255 or one of these markers.
ANY_OCTET = -1
ANY_SEQUENCE = -2


def matches_any(match: Match, values: list[str]) -> bool:
    """True if any value matches any key (RFC 5228 §2.7.1: the key-list is any-of)."""
    return any(match_one(match, value, key) for value in values for key in match.keys)


def match_one(match: Match, value: str, key: str) -> bool:
    subject = _prepared(value, match.comparator)
    if match.match_type is MatchType.IS:
        return subject == _prepared(key, match.comparator)
    if match.match_type is MatchType.CONTAINS:
        return _prepared(key, match.comparator) in subject
    return wildcard_match(compile_pattern(key, match.comparator), subject)


def _prepared(text: str, comparator: Comparator) -> bytes:
    octets = text.encode("utf-8", "surrogatepass")
    # bytes.upper() changes exactly the octets a-z: the i;ascii-casemap mapping.
    return octets.upper() if comparator is Comparator.ASCII_CASEMAP else octets


@lru_cache(maxsize=256)
def compile_pattern(key: str, comparator: Comparator) -> tuple[int, ...]:
    """A ":matches" key as pattern elements, escapes resolved."""
    elements: list[int] = []
    characters = iter(key)
    for character in characters:
        if character == "*":
            elements.append(ANY_SEQUENCE)
        elif character == "?":
            elements.append(ANY_OCTET)
        else:
            literal = next(characters, "\\") if character == "\\" else character
            elements.extend(_prepared(literal, comparator))
    return tuple(elements)


def wildcard_match(pattern: tuple[int, ...], value: bytes) -> bool:
    """Whole-value wildcard match, backtracking to the most recent "*" only."""
    p = v = 0
    star_p, star_v = -1, 0
    while v < len(value):
        if p < len(pattern) and pattern[p] in (ANY_OCTET, value[v]):
            p, v = p + 1, v + 1
        elif p < len(pattern) and pattern[p] == ANY_SEQUENCE:
            star_p, star_v = p, v
            p += 1
        elif star_p >= 0:
            # Let the last "*" swallow one more octet and retry from there.
            star_v += 1
            p, v = star_p + 1, star_v
        else:
            return False
    return all(element == ANY_SEQUENCE for element in pattern[p:])
