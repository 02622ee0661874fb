"""The parts of a message that Sieve tests look at: its header fields, decoded.

Only the header block is parsed (``BytesHeaderParser``); the body is never read.
Field values are unfolded and their RFC 2047 encoded-words decoded by the
standard library's header classes (``email.headerregistry``), because RFC
5228 §2.7.2 says implementations "convert text from header fields in all
charsets [MIME3] to Unicode, encoded as UTF-8, as input to the comparator".
Raw 8-bit field text is read as UTF-8 (RFC 6532), anything undecodable as
U+FFFD.

Addresses come from the standard library's RFC 5322 address-list parser, so
display names, comments and group syntax are handled there; the address test
sees only each mailbox's local part and domain (RFC 5228 §2.7.4).
"""

from __future__ import annotations

import email.errors
import email.policy
import email.utils
from dataclasses import dataclass
from email.headerregistry import AddressHeader, HeaderRegistry, UnstructuredHeader
from email.message import Message
from email.parser import BytesHeaderParser

# Two views of the same raw field: as text, and as an address-list.
_AS_TEXT = email.policy.default.clone(
    header_factory=HeaderRegistry(default_class=UnstructuredHeader, use_default_map=False)
)
_AS_ADDRESSES = email.policy.default.clone(
    header_factory=HeaderRegistry(default_class=AddressHeader, use_default_map=False)
)


@dataclass(frozen=True, slots=True)
class MailAddress:
    """One mailbox of an address field: ``domain`` is "" when it has none."""

    local_part: str
    domain: str

    @property
    def whole(self) -> str:
        return f"{self.local_part}@{self.domain}" if self.domain else self.local_part


class MessageHeaders:
    """A parsed header block, answering the questions Sieve tests ask."""

    def __init__(self, message: bytes) -> None:
        parsed: Message = BytesHeaderParser(policy=_AS_TEXT).parsebytes(message)
        self._fields = [(name.lower(), raw) for name, raw in parsed.raw_items()]

    def has_field(self, name: str) -> bool:
        return any(field == name.lower() for field, _ in self._fields)

    def raw_values(self, name: str) -> list[str]:
        return [raw for field, raw in self._fields if field == name.lower()]

    def text_values(self, name: str) -> list[str]:
        """Each occurrence of the field, unfolded and decoded.

        RFC 5228 §5.7: the header test compares the value "ignoring leading
        and trailing whitespace".
        """
        return [
            str(_AS_TEXT.header_fetch_parse(name, raw)).strip() for raw in self.raw_values(name)
        ]

    def addresses(self, name: str) -> list[MailAddress]:
        """Every mailbox in every occurrence of the field, group members included."""
        return [address for raw in self.raw_values(name) for address in _parse_addresses(name, raw)]


def _parse_addresses(name: str, raw: str) -> list[MailAddress]:
    try:
        parsed = _AS_ADDRESSES.header_fetch_parse(name, raw)
        return [MailAddress(a.username, a.domain) for a in parsed.addresses]
    except (email.errors.HeaderParseError, IndexError, AttributeError, TypeError, ValueError):
        # The modern parser raises on some malformed fields (CPython bugs, seen
        # with IndexError, AttributeError and TypeError); the classic parser
        # never raises, so a broken From still gets a best-effort reading.
        text = raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return [split_address(spec) for _, spec in email.utils.getaddresses([text]) if spec]


def split_address(address: str) -> MailAddress:
    """Local part and domain of a bare address; the domain follows the last "@"."""
    local_part, at, domain = address.rpartition("@")
    return MailAddress(local_part, domain) if at else MailAddress(address, "")
