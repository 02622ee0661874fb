"""What a corpus kind is: a name, a one-line summary and a builder.

A builder gets a ``Draft`` (the message's seeded random source and a few
helpers) and returns a ``Built``: the MIME tree plus whatever it changes in
the ordinary header fields and the envelope. ``harness.mail.corpus`` adds
the harness lines, Date, Message-ID and the integrity hash, so a new kind
(S/MIME, PGP/MIME...) is one more builder in one more module, listed in
``harness/mail/kinds/__init__.py``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.mail.encoding import CRLF
from harness.mail.mime import Leaf, Part

DEFAULT_SENDER = "corpus@mailharness.test"
DEFAULT_RECIPIENT = "recipient@mailharness.test"


@dataclass(frozen=True)
class Built:
    """A kind's output, before the corpus adds its own header lines.

    ``headers`` are complete lines (CRLF-terminated, possibly folded). A line
    whose field name matches a default field (From, To, Subject, Date,
    Message-ID) replaces it in place; the others follow MIME-Version.
    ``root`` is None for a message that ends after its header section.
    """

    root: Part | None
    headers: tuple[bytes, ...] = ()
    envelope_from: str = DEFAULT_SENDER
    envelope_to: tuple[str, ...] = (DEFAULT_RECIPIENT,)
    binary: bool = False  # content only BINARYMIME (RFC 3030) may carry
    valid_for_smtp: bool = True
    # (field name, value a parser should decode) pairs for the tests.
    decoded_headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Draft:
    """What a builder works with: the message's own seeded random source."""

    rng: random.Random
    label: str  # the message name, handy for subjects and file names
    used_boundaries: set[str] = field(default_factory=set, init=False, repr=False)

    def boundary(self, prefix: str = "=_mh_") -> str:
        """A fresh boundary; ``=_`` cannot occur in base64 or quoted-printable output."""
        while True:
            candidate = f"{prefix}{self.rng.getrandbits(64):016x}"
            if candidate not in self.used_boundaries:
                self.used_boundaries.add(candidate)
                return candidate

    def binary_payload(self, size: int) -> bytes:
        return self.rng.randbytes(size)


def header(name: str, value: str) -> bytes:
    """One unfolded header line; the value is written as UTF-8 (RFC 6532) if not ASCII."""
    return f"{name}: {value}".encode() + CRLF


@dataclass(frozen=True)
class Kind:
    """One entry of the corpus: ``generate`` cycles through the chosen kinds."""

    name: str
    summary: str  # one line, shown by ``mailharness corpus --list-kinds``
    build: Callable[[Draft], Built]
    # Catalogue ids (reference/rfc-catalogue.md) the kind exercises.
    checks: tuple[str, ...] = ()
    # False for kinds that are slow to move (multi-megabyte) or not valid
    # over SMTP: they are generated only when asked for by name.
    in_default_set: bool = True
    # The kind's own check of a message as it came back from a server (IMAP
    # BODY[], POP3 RETR), beyond the byte comparison and the integrity hash
    # the fidelity cases always make: say, that an S/MIME or PGP/MIME
    # signature still verifies. Returns None when all is well, else the
    # problem in one line. It gets the whole retrieved message, trace fields
    # included, and must not raise on a damaged one (a damage is a problem).
    verify: Callable[[bytes], str | None] | None = None


def leaves_of(built: Built) -> tuple[Leaf, ...]:
    return built.root.leaves if built.root else ()
