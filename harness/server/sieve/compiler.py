"""Compiling the generic syntax tree into ``nodes``: commands, require, if chains.

RFC 5228 §3 (control) and §4 (actions) signatures supported, with RFC 5228
§4.1 ``fileinto`` and RFC 5232 §3, §5 flag commands and ``:flags``:

    require <capabilities: string-list>
    if <test1: test> <block1: block>
    elsif <test2: test> <block2: block>
    else <block3: block>
    stop
    keep [":flags" <list-of-flags: string-list>]
    discard
    fileinto [":flags" <list-of-flags: string-list>] <mailbox: string>
    setflag <list-of-flags: string-list>
    addflag <list-of-flags: string-list>
    removeflag <list-of-flags: string-list>

Every check happens here, before the script is stored, so a script that
compiles is one the interpreter can run to the end.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.server.sieve.arguments import Arguments, Parameter, TagSpec, require_capability
from harness.server.sieve.conditions import compile_test
from harness.server.sieve.errors import SieveError
from harness.server.sieve.flags import flags_from_strings
from harness.server.sieve.nodes import (
    ChangeFlags,
    Command,
    Discard,
    FileInto,
    FlagOperation,
    If,
    Keep,
    Stop,
    Test,
)
from harness.server.sieve.syntax import CommandNode, StringList

# The extensions a script may require. RFC 5228 §2.7.3: the comparators
# "i;octet" and "i;ascii-casemap" need no require, but requiring them is legal.
CAPABILITIES = frozenset(
    {"fileinto", "envelope", "imap4flags", "comparator-i;octet", "comparator-i;ascii-casemap"}
)

_FLAGS_TAG = {"flags": TagSpec("flags list", Parameter.STRING_LIST, capability="imap4flags")}

Compiler = Callable[[CommandNode, frozenset[str]], Command]


def compile_tree(nodes: tuple[CommandNode, ...]) -> tuple[frozenset[str], tuple[Command, ...]]:
    """The required capabilities and the compiled commands of a whole script."""
    requires = 0
    while requires < len(nodes) and nodes[requires].name == "require":
        requires += 1
    capabilities = frozenset(
        capability for node in nodes[:requires] for capability in _require(node)
    )
    return capabilities, compile_block(nodes[requires:], capabilities)


# RFC 5228 §3.2: "The "require" command, if present, MUST be used before
# anything other than a "require" can be used. An error occurs if a "require"
# appears after a command other than "require"."
def _require(node: CommandNode) -> tuple[str, ...]:
    _no_block(node)
    arguments = Arguments("require", node.position, node.arguments, frozenset())
    capabilities = arguments.string_list("a list of capabilities")
    arguments.done()
    _no_test(node)
    for capability in capabilities.values:
        if capability not in CAPABILITIES:
            raise SieveError(
                f'unsupported extension "{capability}" in require', capabilities.position
            )
    return capabilities.values


def compile_block(
    nodes: tuple[CommandNode, ...], capabilities: frozenset[str]
) -> tuple[Command, ...]:
    commands: list[Command] = []
    index = 0
    while index < len(nodes):
        node = nodes[index]
        if node.name == "if":
            chain, index = _if_chain(nodes, index, capabilities)
            commands.append(chain)
            continue
        commands.append(_simple_command(node, capabilities))
        index += 1
    return tuple(commands)


def _simple_command(node: CommandNode, capabilities: frozenset[str]) -> Command:
    if node.name == "require":
        raise SieveError("require must come before every other command", node.position)
    if node.name in ("elsif", "else"):
        raise SieveError(f"{node.name} without a preceding if or elsif", node.position)
    compiler = _COMPILERS.get(node.name)
    if compiler is None:
        raise SieveError(f'unknown or unsupported command "{node.name}"', node.position)
    _no_block(node)
    _no_test(node)
    return compiler(node, capabilities)


# RFC 5228 §3.1: "if" <test1: test> <block1: block>, then any number of
# "elsif" <test2: test> <block2: block>, then at most one "else" <block>.
def _if_chain(
    nodes: tuple[CommandNode, ...], index: int, capabilities: frozenset[str]
) -> tuple[If, int]:
    branches = [_branch(nodes[index], capabilities)]
    index += 1
    while index < len(nodes) and nodes[index].name == "elsif":
        branches.append(_branch(nodes[index], capabilities))
        index += 1
    otherwise: tuple[Command, ...] = ()
    if index < len(nodes) and nodes[index].name == "else":
        otherwise = _block(nodes[index], capabilities)
        Arguments("else", nodes[index].position, nodes[index].arguments, capabilities).done()
        _no_test(nodes[index])
        index += 1
    return If(tuple(branches), otherwise), index


def _branch(node: CommandNode, capabilities: frozenset[str]) -> tuple[Test, tuple[Command, ...]]:
    if node.block is None:
        raise SieveError(f"{node.name} needs a block in '{{' '}}'", node.position)
    Arguments(node.name, node.position, node.arguments, capabilities).done()
    if node.test_list or not node.tests:
        raise SieveError(f"{node.name} needs one test, without parentheses", node.position)
    return compile_test(node.tests[0], capabilities), compile_block(node.block, capabilities)


def _block(node: CommandNode, capabilities: frozenset[str]) -> tuple[Command, ...]:
    if node.block is None:
        raise SieveError(f"{node.name} needs a block in '{{' '}}'", node.position)
    return compile_block(node.block, capabilities)


def _stop(node: CommandNode, capabilities: frozenset[str]) -> Command:
    Arguments("stop", node.position, node.arguments, capabilities).done()
    return Stop()


def _discard(node: CommandNode, capabilities: frozenset[str]) -> Command:
    Arguments("discard", node.position, node.arguments, capabilities).done()
    return Discard()


def _keep(node: CommandNode, capabilities: frozenset[str]) -> Command:
    arguments = Arguments("keep", node.position, node.arguments, capabilities)
    flags = _flags_tag(arguments)
    arguments.done()
    return Keep(flags)


# RFC 5228 §4.1: fileinto <mailbox: string>
def _file_into(node: CommandNode, capabilities: frozenset[str]) -> Command:
    require_capability(capabilities, "fileinto", "fileinto", node.position)
    arguments = Arguments("fileinto", node.position, node.arguments, capabilities)
    flags = _flags_tag(arguments)
    mailbox = arguments.string("a mailbox name")
    arguments.done()
    if not mailbox:
        raise SieveError("fileinto needs a non-empty mailbox name", node.position)
    return FileInto(mailbox, flags)


def _change_flags(node: CommandNode, capabilities: frozenset[str]) -> Command:
    operation = FlagOperation(node.name)
    require_capability(capabilities, "imap4flags", node.name, node.position)
    arguments = Arguments(node.name, node.position, node.arguments, capabilities)
    flags = arguments.string_list("a list of flags")
    if arguments.remaining and isinstance(arguments.remaining[0], StringList):
        raise SieveError(
            f'{node.name} on a variable needs the "variables" extension, which is not supported',
            node.position,
        )
    arguments.done()
    return ChangeFlags(operation, flags_from_strings(flags.values))


def _flags_tag(arguments: Arguments) -> tuple[str, ...] | None:
    given = arguments.tags(_FLAGS_TAG).get("flags list")
    if given is None or given.parameter is None:
        return None
    return flags_from_strings(given.parameter.values)


def _no_block(node: CommandNode) -> None:
    if node.block is not None:
        raise SieveError(f"{node.name} takes no block; end it with ';'", node.position)


def _no_test(node: CommandNode) -> None:
    if node.tests:
        raise SieveError(f"{node.name} takes no test", node.tests[0].position)


_COMPILERS: dict[str, Compiler] = {
    "stop": _stop,
    "keep": _keep,
    "discard": _discard,
    "fileinto": _file_into,
    "setflag": _change_flags,
    "addflag": _change_flags,
    "removeflag": _change_flags,
}
