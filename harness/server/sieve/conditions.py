"""Compiling Sieve tests (the conditions of ``if``) into ``nodes``.

RFC 5228 §5 signatures supported, with RFC 5232 §4 ``hasflag``:

    address [COMPARATOR] [ADDRESS-PART] [MATCH-TYPE]
            <header-list: string-list> <key-list: string-list>
    allof <tests: test-list>
    anyof <tests: test-list>
    envelope [COMPARATOR] [ADDRESS-PART] [MATCH-TYPE]
             <envelope-part: string-list> <key-list: string-list>
    exists <header-names: string-list>
    false
    header [COMPARATOR] [MATCH-TYPE] <header-names: string-list> <key-list: string-list>
    not <test1: test>
    size <":over" / ":under"> <limit: number>
    true
    hasflag [MATCH-TYPE] [COMPARATOR] <list-of-flags: string-list>

Tagged arguments may come in any order among themselves (RFC 5228 §2.6.2).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from harness.server.sieve.arguments import (
    ADDRESS_PART_TAGS,
    MATCHING_TAGS,
    Arguments,
    TagSpec,
    address_part_from,
    match_from,
    require_capability,
)
from harness.server.sieve.errors import SieveError
from harness.server.sieve.nodes import (
    AddressTest,
    AllOf,
    AnyOf,
    Constant,
    EnvelopeTest,
    ExistsTest,
    HasFlag,
    HeaderTest,
    Not,
    SizeTest,
    Test,
)
from harness.server.sieve.syntax import StringList, TestNode

# RFC 5228 §5.1: "Implementations MUST restrict the address test to headers that
# contain addresses, but MUST include at least From, To, Cc, Bcc, Sender,
# Resent-From, and Resent-To". The rest are the other address fields of RFC 5322
# §3.6 and the delivery fields that filters commonly test.
ADDRESS_HEADERS = frozenset(
    [
        "from",
        "to",
        "cc",
        "bcc",
        "sender",
        "resent-from",
        "resent-to",
        "reply-to",
        "resent-cc",
        "resent-bcc",
        "resent-sender",
        "return-path",
        "delivered-to",
        "x-original-to",
    ]
)

# RFC 5228 §5.4 defines the envelope parts "from" and "to".
ENVELOPE_PARTS = frozenset({"from", "to"})

# RFC 5322 §3.6.8: field-name = 1*ftext ; ftext = %d33-57 / %d59-126
_FIELD_NAME = re.compile(r"[\x21-\x39\x3b-\x7e]+")

_SIZE_TAGS = {"over": TagSpec("size comparison"), "under": TagSpec("size comparison")}

Compiler = Callable[[TestNode, frozenset[str]], Test]


def compile_test(node: TestNode, capabilities: frozenset[str]) -> Test:
    compiler = _COMPILERS.get(node.name)
    if compiler is None:
        raise SieveError(f'unknown or unsupported test "{node.name}"', node.position)
    if node.name not in ("allof", "anyof", "not") and node.tests:
        raise SieveError(f"{node.name} takes no nested test", node.tests[0].position)
    return compiler(node, capabilities)


def _header(node: TestNode, capabilities: frozenset[str]) -> Test:
    arguments = Arguments("header", node.position, node.arguments, capabilities)
    tags = arguments.tags(MATCHING_TAGS)
    names = _field_names(arguments.string_list("a list of header names"))
    keys = arguments.string_list("a key list")
    arguments.done()
    return HeaderTest(names, match_from(tags, keys))


def _address(node: TestNode, capabilities: frozenset[str]) -> Test:
    arguments = Arguments("address", node.position, node.arguments, capabilities)
    tags = arguments.tags({**MATCHING_TAGS, **ADDRESS_PART_TAGS})
    header_list = arguments.string_list("a list of header names")
    names = _field_names(header_list)
    for name in names:
        if name.lower() not in ADDRESS_HEADERS:
            raise SieveError(
                f'address tests only headers that hold addresses; "{name}" is not one '
                f"(use header for it)",
                header_list.position,
            )
    keys = arguments.string_list("a key list")
    arguments.done()
    return AddressTest(names, address_part_from(tags), match_from(tags, keys))


def _envelope(node: TestNode, capabilities: frozenset[str]) -> Test:
    require_capability(capabilities, "envelope", "the envelope test", node.position)
    arguments = Arguments("envelope", node.position, node.arguments, capabilities)
    tags = arguments.tags({**MATCHING_TAGS, **ADDRESS_PART_TAGS})
    part_list = arguments.string_list("a list of envelope parts")
    parts = tuple(part.lower() for part in part_list.values)
    for part in parts:
        if part not in ENVELOPE_PARTS:
            raise SieveError(
                f'unknown envelope part "{part}" (known: "from", "to")', part_list.position
            )
    keys = arguments.string_list("a key list")
    arguments.done()
    return EnvelopeTest(parts, address_part_from(tags), match_from(tags, keys))


def _exists(node: TestNode, capabilities: frozenset[str]) -> Test:
    arguments = Arguments("exists", node.position, node.arguments, capabilities)
    names = _field_names(arguments.string_list("a list of header names"))
    arguments.done()
    return ExistsTest(names)


def _size(node: TestNode, capabilities: frozenset[str]) -> Test:
    arguments = Arguments("size", node.position, node.arguments, capabilities)
    comparison = arguments.tags(_SIZE_TAGS).get("size comparison")
    if comparison is None:
        raise SieveError("size needs :over or :under", node.position)
    limit = arguments.number("a size limit")
    arguments.done()
    return SizeTest(comparison.name == "over", limit)


def _all_of(node: TestNode, capabilities: frozenset[str]) -> Test:
    return AllOf(_test_list(node, capabilities))


def _any_of(node: TestNode, capabilities: frozenset[str]) -> Test:
    return AnyOf(_test_list(node, capabilities))


def _not(node: TestNode, capabilities: frozenset[str]) -> Test:
    Arguments("not", node.position, node.arguments, capabilities).done()
    if node.test_list or not node.tests:
        raise SieveError("not takes one test, without parentheses", node.position)
    return Not(compile_test(node.tests[0], capabilities))


def _true(node: TestNode, capabilities: frozenset[str]) -> Test:
    Arguments("true", node.position, node.arguments, capabilities).done()
    return Constant(True)


def _false(node: TestNode, capabilities: frozenset[str]) -> Test:
    Arguments("false", node.position, node.arguments, capabilities).done()
    return Constant(False)


def _has_flag(node: TestNode, capabilities: frozenset[str]) -> Test:
    require_capability(capabilities, "imap4flags", "the hasflag test", node.position)
    arguments = Arguments("hasflag", node.position, node.arguments, capabilities)
    tags = arguments.tags(MATCHING_TAGS)
    keys = arguments.string_list("a list of flags")
    if arguments.remaining and isinstance(arguments.remaining[0], StringList):
        raise SieveError(
            'hasflag on a variable needs the "variables" extension, which is not supported',
            node.position,
        )
    arguments.done()
    flag_keys = StringList(
        tuple(word for key in keys.values for word in key.split(" ") if word),
        keys.bracketed,
        keys.position,
    )
    return HasFlag(match_from(tags, flag_keys))


def _test_list(node: TestNode, capabilities: frozenset[str]) -> tuple[Test, ...]:
    Arguments(node.name, node.position, node.arguments, capabilities).done()
    if not node.test_list:
        raise SieveError(f"{node.name} needs a list of tests in parentheses", node.position)
    return tuple(compile_test(test, capabilities) for test in node.tests)


def _field_names(names: StringList) -> tuple[str, ...]:
    for name in names.values:
        if not _FIELD_NAME.fullmatch(name):
            raise SieveError(
                f"{name!r} is not a header field name (printable ASCII without ':')",
                names.position,
            )
    return names.values


_COMPILERS: dict[str, Compiler] = {
    "address": _address,
    "allof": _all_of,
    "anyof": _any_of,
    "envelope": _envelope,
    "exists": _exists,
    "false": _false,
    "hasflag": _has_flag,
    "header": _header,
    "not": _not,
    "size": _size,
    "true": _true,
}
