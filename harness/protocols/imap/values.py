"""Typed values carried by IMAP events: sequence sets, body sections,
ENVELOPE and BODYSTRUCTURE structures, namespaces.

Strings are ``str``; octets that are not text (message data) are ``bytes``.
Wire strings are decoded as UTF-8 with ``surrogateescape``, so any octets a
peer sends survive a parse and a re-serialisation unchanged. ``None`` is NIL,
which is never the same as the empty string (RFC 9051 §4.5).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

STAR = 0
"""Stands for "*" (the largest number in use) in a ``SequenceSet`` range."""

_SEQ_SET_RE = re.compile(r"(?:[0-9]+|\*)(?::(?:[0-9]+|\*))?(?:,(?:[0-9]+|\*)(?::(?:[0-9]+|\*))?)*")


@dataclass(frozen=True, slots=True)
class SequenceSet:
    """sequence-set (RFC 9051 §9): ranges as written, ``STAR`` for "*".

    ``saved`` is SEARCHRES's "$" (RFC 5182 §2: the result of the last
    SEARCH ... RETURN (SAVE)); it then has no ranges.
    """

    ranges: tuple[tuple[int, int], ...] = ()
    saved: bool = False

    @classmethod
    def parse(cls, text: str) -> SequenceSet:
        """From the wire form, e.g. ``"1:4,7,9:*"`` or ``"$"``."""
        if text == "$":
            return cls(saved=True)
        if not _SEQ_SET_RE.fullmatch(text):
            raise ValueError(f"not a sequence set: {text!r}")
        ranges = []
        for item in text.split(","):
            low, _, high = item.partition(":")
            start = STAR if low == "*" else int(low)
            end = start if not high else (STAR if high == "*" else int(high))
            ranges.append((start, end))
        return cls(tuple(ranges))

    @classmethod
    def of(cls, *numbers: int) -> SequenceSet:
        """The set holding exactly ``numbers`` (each as its own item)."""
        return cls(tuple((n, n) for n in numbers))

    def __str__(self) -> str:
        if self.saved:
            return "$"
        return ",".join(_format_range(start, end) for start, end in self.ranges)

    def resolve(self, largest: int) -> list[int]:
        """The numbers of the set that exist, ascending, "*" meaning ``largest``.

        Numbers above ``largest`` are left out, so "13:*" with 12 messages is
        just 12 (RFC 3501 §6.4.8: "a UID range of 559:* always includes the UID
        of the last message"); a range is unordered, so "4:2" is 2, 3, 4. Use
        ``exceeds`` to find sequence numbers that do not exist (a BAD).
        """
        seen: set[int] = set()
        for low, high in self._bounds(largest):
            seen.update(range(low, min(high, largest) + 1))
        return sorted(seen)

    def exceeds(self, largest: int) -> bool:
        """True if the set names a number above ``largest``."""
        return any(high > largest for _, high in self._bounds(largest))

    def contains(self, number: int, largest: int) -> bool:
        return any(low <= number <= high for low, high in self._bounds(largest))

    def _bounds(self, largest: int) -> Iterator[tuple[int, int]]:
        for start, end in self.ranges:
            start = largest if start == STAR else start
            end = largest if end == STAR else end
            yield (min(start, end), max(start, end))


def _format_range(start: int, end: int) -> str:
    low = "*" if start == STAR else str(start)
    if start == end:
        return low
    return f"{low}:{'*' if end == STAR else end}"


@dataclass(frozen=True, slots=True)
class Section:
    """section-spec (RFC 9051 §6.4.5): a part path and an optional text part.

    ``text`` is one of "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT",
    "MIME" (the last only after a part number); ``fields`` goes with
    HEADER.FIELDS(.NOT). ``Section()`` is the whole message, ``BODY[]``.
    """

    part: tuple[int, ...] = ()
    text: str | None = None
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        spec = ".".join(str(p) for p in self.part)
        if self.text:
            spec = f"{spec}.{self.text}" if spec else self.text
        if self.fields:
            spec += " (" + " ".join(self.fields) + ")"
        return spec


@dataclass(frozen=True, slots=True)
class Address:
    """address (RFC 9051 §7.5.2): group start has host None, group end mailbox None too."""

    name: str | None
    adl: str | None
    mailbox: str | None
    host: str | None


AddressList = tuple[Address, ...] | None


@dataclass(frozen=True, slots=True)
class Envelope:
    """envelope (RFC 9051 §7.5.2), its ten fields in wire order."""

    date: str | None = None
    subject: str | None = None
    from_: AddressList = None
    sender: AddressList = None
    reply_to: AddressList = None
    to: AddressList = None
    cc: AddressList = None
    bcc: AddressList = None
    in_reply_to: str | None = None
    message_id: str | None = None


Params = tuple[tuple[str, str], ...]
"""body-fld-param: attribute/value pairs; the empty tuple is NIL."""

ExtensionValue = str | int | None | tuple["ExtensionValue", ...]
"""body-extension: nstring / number / "(" body-extension *(SP body-extension) ")"."""


@dataclass(frozen=True, slots=True)
class Disposition:
    """body-fld-dsp: "(" string SP body-fld-param ")"."""

    type: str
    params: Params = ()


@dataclass(frozen=True, slots=True)
class PartExtension:
    """body-ext-1part: MD5, disposition, language, location, and later data.

    Sent only with BODYSTRUCTURE; the serialiser writes all four fields.
    ``language`` is None (NIL) or one or more language tags.
    """

    md5: str | None = None
    disposition: Disposition | None = None
    language: tuple[str, ...] | None = None
    location: str | None = None
    more: tuple[ExtensionValue, ...] = ()


@dataclass(frozen=True, slots=True)
class MultipartExtension:
    """body-ext-mpart: parameters, disposition, language, location, later data."""

    params: Params = ()
    disposition: Disposition | None = None
    language: tuple[str, ...] | None = None
    location: str | None = None
    more: tuple[ExtensionValue, ...] = ()


@dataclass(frozen=True, slots=True)
class BodyPart:
    """body-type-1part (RFC 9051 §7.5.2 BODYSTRUCTURE): one non-multipart part.

    ``lines`` is required for text/* and message/rfc822 (and message/global);
    ``envelope`` and ``body`` describe an encapsulated message. ``size`` is in
    octets of the encoded body, as RFC 9051 §7.5.2 says ("the size in its
    transfer encoding and not the resulting size after any decoding").
    """

    type: str
    subtype: str
    params: Params = ()
    id: str | None = None
    description: str | None = None
    encoding: str = "7BIT"
    size: int = 0
    lines: int | None = None
    envelope: Envelope | None = None
    body: Body | None = None
    extension: PartExtension | None = None

    @property
    def is_message(self) -> bool:
        return self.type.upper() == "MESSAGE" and self.subtype.upper() in ("RFC822", "GLOBAL")

    @property
    def is_text(self) -> bool:
        return self.type.upper() == "TEXT"


@dataclass(frozen=True, slots=True)
class Multipart:
    """body-type-mpart: one or more parts, then the multipart subtype."""

    parts: tuple[Body, ...]
    subtype: str
    extension: MultipartExtension | None = None


Body = BodyPart | Multipart


@dataclass(frozen=True, slots=True)
class NamespaceDescr:
    """namespace-descr (RFC 2342 §5, RFC 9051 §7.3.5): prefix, delimiter, extensions."""

    prefix: str
    delimiter: str | None
    extensions: tuple[tuple[str, tuple[str, ...]], ...] = ()
