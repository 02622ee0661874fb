"""Checking one command's or test's arguments against what it accepts.

RFC 5228 §2.6: arguments are positional (their meaning is their place) or
tagged (":name", optionally followed by a parameter). Tagged arguments come
first: in every command signature of RFC 5228 and RFC 5232 the optional tagged
arguments precede the positional ones, and a tag after them is reported as
misplaced rather than silently re-ordered. Tags that exclude each other (two
match types, two comparators) form a group, and a group may be given once.

RFC 5228 §8.3 productions read here:

    ADDRESS-PART = ":localpart" / ":domain" / ":all"
    COMPARATOR   = ":comparator" <comparator-name: string>
    MATCH-TYPE   = ":is" / ":contains" / ":matches"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from harness.server.sieve.errors import Position, SieveError
from harness.server.sieve.nodes import AddressPart, Comparator, Match, MatchType
from harness.server.sieve.syntax import Argument, NumberArgument, StringList, TagArgument


class Parameter(Enum):
    STRING = "a string"
    STRING_LIST = "a string list"


@dataclass(frozen=True, slots=True)
class TagSpec:
    group: str  # tags of one group exclude each other
    parameter: Parameter | None = None
    capability: str | None = None  # the extension that must be required first


@dataclass(frozen=True, slots=True)
class GivenTag:
    name: str
    parameter: StringList | None
    position: Position


MATCH_TYPE_TAGS = {kind.value: TagSpec("match type") for kind in MatchType}
COMPARATOR_TAGS = {"comparator": TagSpec("comparator", Parameter.STRING)}
ADDRESS_PART_TAGS = {part.value: TagSpec("address part") for part in AddressPart}
MATCHING_TAGS = {**MATCH_TYPE_TAGS, **COMPARATOR_TAGS}


def require_capability(capabilities: frozenset[str], name: str, what: str, at: Position) -> None:
    """RFC 5228 §2.10.5: "If an extension is not enabled with "require",
    implementations MUST treat it as if they did not support it at all."
    """
    if name not in capabilities:
        raise SieveError(f'{what} needs require "{name}" at the top of the script', at)


class Arguments:
    """The arguments of one command or test, consumed front to back."""

    def __init__(
        self,
        owner: str,
        position: Position,
        arguments: tuple[Argument, ...],
        capabilities: frozenset[str],
    ) -> None:
        self.owner = owner
        self.position = position
        self.remaining = list(arguments)
        self.capabilities = capabilities

    def tags(self, allowed: Mapping[str, TagSpec]) -> dict[str, GivenTag]:
        """The leading tagged arguments, by group."""
        given: dict[str, GivenTag] = {}
        while self.remaining and isinstance(tag := self.remaining[0], TagArgument):
            self.remaining.pop(0)
            spec = allowed.get(tag.name)
            if spec is None:
                raise SieveError(f"{self.owner} has no tag :{tag.name}", tag.position)
            if spec.capability is not None:
                require_capability(self.capabilities, spec.capability, f":{tag.name}", tag.position)
            if spec.group in given:
                raise SieveError(f"{self.owner} takes only one {spec.group}", tag.position)
            given[spec.group] = GivenTag(tag.name, self.tag_parameter(tag, spec), tag.position)
        return given

    def tag_parameter(self, tag: TagArgument, spec: TagSpec) -> StringList | None:
        if spec.parameter is None:
            return None
        what = f"{spec.parameter.value} after :{tag.name}"
        parameter = self.next(what, tag.position)
        if not isinstance(parameter, StringList):
            raise SieveError(f"expected {what}", parameter.position)
        if spec.parameter is Parameter.STRING and parameter.bracketed:
            raise SieveError(f"expected {what}, not a bracketed list", parameter.position)
        return parameter

    def next(self, what: str, after: Position) -> Argument:
        if not self.remaining:
            raise SieveError(f"{self.owner} needs {what}", after)
        argument = self.remaining.pop(0)
        if isinstance(argument, TagArgument):
            raise SieveError(
                f"{self.owner} expects {what} here, found tag :{argument.name} "
                "(tagged arguments come before the others)",
                argument.position,
            )
        return argument

    def string_list(self, what: str) -> StringList:
        argument = self.next(what, self.position)
        if not isinstance(argument, StringList):
            raise SieveError(f"{self.owner} expects {what}, found a number", argument.position)
        return argument

    def string(self, what: str) -> str:
        argument = self.string_list(what)
        if argument.bracketed:
            raise SieveError(f"{self.owner} expects {what}, not a list", argument.position)
        return argument.values[0]

    def number(self, what: str) -> int:
        argument = self.next(what, self.position)
        if not isinstance(argument, NumberArgument):
            raise SieveError(f"{self.owner} expects {what}, found a string", argument.position)
        return argument.value

    def done(self) -> None:
        if self.remaining:
            extra = self.remaining[0]
            raise SieveError(f"too many arguments for {self.owner}", extra.position)


def match_from(tags: Mapping[str, GivenTag], keys: StringList) -> Match:
    """RFC 5228 §2.7.1: "Commands default to using ":is" matching if no match
    type argument is supplied"; §2.7.3: the default comparator is
    "i;ascii-casemap".
    """
    match_tag = tags.get("match type")
    match_type = MatchType(match_tag.name) if match_tag else MatchType.IS
    return Match(match_type, comparator_from(tags.get("comparator")), keys.values)


def comparator_from(tag: GivenTag | None) -> Comparator:
    if tag is None or tag.parameter is None:
        return Comparator.ASCII_CASEMAP
    name = tag.parameter.values[0]
    for comparator in Comparator:
        if comparator.value == name.lower():
            return comparator
    raise SieveError(f'unsupported comparator "{name}"', tag.parameter.position)


def address_part_from(tags: Mapping[str, GivenTag]) -> AddressPart:
    """RFC 5228 §2.7.4: ":all" is the default address part."""
    tag = tags.get("address part")
    return AddressPart(tag.name) if tag else AddressPart.ALL
