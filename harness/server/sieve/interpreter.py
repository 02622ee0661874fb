"""Running a compiled script on one message: tests evaluated, actions collected.

Semantics kept here (RFC 5228 unless noted):

- §2.10.2 implicit keep: if no action cancels it, the message is kept.
  keep, fileinto and discard cancel it; stop does not.
- §4.3 keep stores in INBOX; §4.1 fileinto in the named mailbox.
- §4.4 discard only cancels the implicit keep: an explicit keep or fileinto,
  before or after it, still happens.
- §2.10.3: "Implementations SHOULD NOT deliver a message to the same mailbox
  more than once, even if a script explicitly asks for a message to be
  written to a mailbox twice." Repeated deliveries to one mailbox merge into
  one, with the union of their flags. INBOX is matched case-insensitively
  (RFC 3501 §5.1), every other name exactly.
- §3.3 stop ends the script; actions taken so far stand.
- RFC 5232 §3, §5: setflag/addflag/removeflag change one internal flag
  variable; keep and fileinto without ":flags", and the implicit keep, store
  the message with the variable's value at that moment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.server.sieve.actions import INBOX, Actions, Delivery, Envelope
from harness.server.sieve.flags import add_flags, remove_flags
from harness.server.sieve.matching import matches_any
from harness.server.sieve.message import MailAddress, MessageHeaders, split_address
from harness.server.sieve.nodes import (
    AddressPart,
    AddressTest,
    AllOf,
    AnyOf,
    ChangeFlags,
    Command,
    Constant,
    Discard,
    EnvelopeTest,
    ExistsTest,
    FileInto,
    FlagOperation,
    HasFlag,
    HeaderTest,
    If,
    Keep,
    Not,
    SizeTest,
    Stop,
    Test,
)


@dataclass
class _Run:
    headers: MessageHeaders
    envelope: Envelope | None
    size: int
    flags: tuple[str, ...] = ()
    implicit_keep: bool = True
    deliveries: dict[str, Delivery] = field(default_factory=dict)

    def deliver(self, mailbox: str, flags: tuple[str, ...] | None) -> None:
        self.implicit_keep = False
        self.store(mailbox, self.flags if flags is None else flags)

    def store(self, mailbox: str, flags: tuple[str, ...]) -> None:
        if mailbox.upper() == INBOX:
            mailbox = INBOX
        earlier = self.deliveries.get(mailbox)
        if earlier is not None:
            flags = add_flags(tuple(earlier.flags), flags)
        self.deliveries[mailbox] = Delivery(mailbox, frozenset(flags))

    def change_flags(self, operation: FlagOperation, flags: tuple[str, ...]) -> None:
        if operation is FlagOperation.SET:
            self.flags = flags
        elif operation is FlagOperation.ADD:
            self.flags = add_flags(self.flags, flags)
        else:
            self.flags = remove_flags(self.flags, flags)

    def outcome(self) -> Actions:
        if self.implicit_keep:
            self.store(INBOX, self.flags)
        return Actions(tuple(self.deliveries.values()), implicit_keep=self.implicit_keep)


def run(
    commands: tuple[Command, ...], message: bytes, envelope: Envelope | None, size: int
) -> Actions:
    state = _Run(MessageHeaders(message), envelope, size)
    _run_block(commands, state)
    return state.outcome()


def _run_block(commands: tuple[Command, ...], state: _Run) -> bool:
    """Run commands in order; False once ``stop`` has run."""
    return all(_run_command(command, state) for command in commands)


def _run_command(command: Command, state: _Run) -> bool:
    match command:
        case If(branches, otherwise):
            for test, block in branches:
                if evaluate(test, state):
                    return _run_block(block, state)
            return _run_block(otherwise, state)
        case Stop():
            return False
        case Keep(flags):
            state.deliver(INBOX, flags)
        case FileInto(mailbox, flags):
            state.deliver(mailbox, flags)
        case Discard():
            state.implicit_keep = False
        case ChangeFlags(operation, flags):
            state.change_flags(operation, flags)
    return True


def evaluate(test: Test, state: _Run) -> bool:
    match test:
        case HeaderTest(names, match):
            return any(matches_any(match, state.headers.text_values(name)) for name in names)
        case AddressTest(names, part, match):
            addresses = [a for name in names for a in state.headers.addresses(name)]
            return matches_any(match, _address_parts(addresses, part))
        case EnvelopeTest(parts, part, match):
            return matches_any(match, _envelope_values(state.envelope, parts, part))
        case SizeTest(over, limit):
            # RFC 5228 §5.9: a size equal to the limit is neither over nor under it.
            return state.size > limit if over else state.size < limit
        case ExistsTest(names):
            return all(state.headers.has_field(name) for name in names)
        case AllOf(tests):
            return all(evaluate(each, state) for each in tests)
        case AnyOf(tests):
            return any(evaluate(each, state) for each in tests)
        case Not(inner):
            return not evaluate(inner, state)
        case Constant(value):
            return value
        case HasFlag(match):
            return matches_any(match, list(state.flags))
    raise AssertionError(f"unknown test node {test!r}")


def _address_parts(addresses: list[MailAddress], part: AddressPart) -> list[str]:
    """RFC 5228 §2.7.4: "If an address is not syntactically valid, then it will
    not be matched by tests specifying ":localpart" or ":domain"."
    """
    if part is AddressPart.ALL:
        return [address.whole for address in addresses]
    valid = [address for address in addresses if address.domain and address.local_part]
    if part is AddressPart.LOCALPART:
        return [address.local_part for address in valid]
    return [address.domain for address in valid]


def _envelope_values(
    envelope: Envelope | None, parts: tuple[str, ...], part: AddressPart
) -> list[str]:
    if envelope is None:  # not delivered by SMTP: there is no envelope to test
        return []
    values = []
    for name in parts:
        path = _bare_address(envelope.mail_from if name == "from" else envelope.rcpt_to)
        if not path:
            # RFC 5228 §5.4: "The null reverse-path is matched against as the
            # empty string, regardless of the ADDRESS-PART argument specified."
            values.append("")
        else:
            values.extend(_address_parts([split_address(path)], part))
    return values


def _bare_address(path: str) -> str:
    """An SMTP path without angle brackets and without a source route
    (RFC 5321 §4.1.2 "@a,@b:user@c"; RFC 5228 §5.4 compares the address only).
    """
    address = path.strip().removeprefix("<").removesuffix(">")
    if address.startswith("@") and ":" in address:
        address = address.split(":", 1)[1]
    return address
