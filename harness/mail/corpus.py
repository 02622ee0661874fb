"""The deterministic message corpus: ``generate(seed, count, kinds)``.

Message ``i`` of a corpus has kind ``kinds[i % len(kinds)]`` and its own
random source, seeded from (seed, i, kind) only, so the same seed always
gives the same bytes, and ``generate(s, 5)`` is the first five messages of
``generate(s, 50)``. Date and Message-ID come from that source too: nothing
reads the clock, uuid or os.urandom.

Each message starts with the integrity line (``harness.mail.integrity``),
then ``X-Mailharness-Id: seed-<seed>/<name>``, the ordinary fields, and the
kind's MIME tree.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

from harness.mail.encoding import CRLF
from harness.mail.integrity import ID_HEADER, stamp
from harness.mail.kinds import DEFAULT_KINDS, Built, Draft, Kind, kind_named
from harness.mail.kinds.base import header, leaves_of
from harness.mail.mime import Leaf

_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
_OFFSETS_MINUTES = (0, 60, 120, -300, -480, 330, 540, 600)


@dataclass(frozen=True)
class CorpusMessage:
    """One generated message: its bytes and what a fidelity check needs to know."""

    name: str  # "0003-multipart-alternative": index from 1, then kind
    kind: str
    raw: bytes  # CRLF line endings; what to send after dot-stuffing
    envelope_from: str
    envelope_to: tuple[str, ...]
    needs_8bitmime: bool  # an octet above 127 anywhere
    needs_smtputf8: bool  # UTF-8 in the envelope or the header section (RFC 6531/6532)
    needs_binarymime: bool  # only BDAT with BODY=BINARYMIME may carry it (RFC 3030)
    valid_for_smtp: bool  # False for deliberately broken torture kinds
    leaves: tuple[Leaf, ...]  # every non-multipart part, decoded, in document order
    decoded_headers: tuple[tuple[str, str], ...]  # field -> text (display name for addresses)

    @property
    def size(self) -> int:
        return len(self.raw)

    @property
    def sha256(self) -> str:
        """Digest of the whole message as generated (the manifest's file hash)."""
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def header_section(self) -> bytes:
        """The header lines, up to and including the CRLF of the last one."""
        end = self.raw.find(b"\r\n\r\n")
        return self.raw if end < 0 else self.raw[: end + 2]

    @property
    def body(self) -> bytes:
        """What IMAP ``BODY[TEXT]`` returns: everything after the empty line."""
        end = self.raw.find(b"\r\n\r\n")
        return b"" if end < 0 else self.raw[end + 4 :]

    def flags(self) -> dict[str, bool]:
        return {
            "needs_8bitmime": self.needs_8bitmime,
            "needs_smtputf8": self.needs_smtputf8,
            "needs_binarymime": self.needs_binarymime,
            "valid_for_smtp": self.valid_for_smtp,
        }


def generate(seed: int, count: int, kinds: Sequence[str] | None = None) -> list[CorpusMessage]:
    """``count`` messages cycling through ``kinds`` (default: every default-set kind)."""
    return list(iter_corpus(seed, count, kinds))


def iter_corpus(
    seed: int, count: int, kinds: Sequence[str] | None = None
) -> Iterator[CorpusMessage]:
    """``generate`` one message at a time, for corpora too big to hold in memory."""
    if count < 0:
        raise ValueError(f"count must not be negative, not {count}")
    chosen = [kind_named(name) for name in kinds] if kinds else list(DEFAULT_KINDS)
    for index in range(count):
        yield build_message(seed, index, chosen[index % len(chosen)])


def build_message(seed: int, index: int, kind: Kind) -> CorpusMessage:
    """Message number ``index`` (from 0) of the corpus for ``seed``, of ``kind``."""
    return compose(seed, index, kind.name, kind.build)


def message_rng(seed: int, index: int, label: str) -> random.Random:
    # A str seed is hashed with SHA-512 by random.Random: stable across runs
    # and Python versions, independent of PYTHONHASHSEED.
    return random.Random(f"mailharness-corpus:{seed}:{index}:{label}")


def compose(
    seed: int,
    index: int,
    kind_name: str,
    build: Callable[[Draft], Built],
    name: str | None = None,
) -> CorpusMessage:
    """Run ``build`` with the message's own random source and assemble the bytes."""
    name = name or f"{index + 1:04d}-{kind_name}"
    rng = message_rng(seed, index, kind_name)
    defaults = _default_fields(rng, index)
    built = build(Draft(rng=rng, label=name))
    fields = _merge_fields(defaults, built.headers)
    top = [header(ID_HEADER, f"seed-{seed}/{name}"), *fields]
    root = built.root.to_bytes() if built.root else b""
    raw = stamp(b"".join(top) + root)
    return CorpusMessage(
        name=name,
        kind=kind_name,
        raw=raw,
        envelope_from=built.envelope_from,
        envelope_to=built.envelope_to,
        needs_8bitmime=not raw.isascii(),
        needs_smtputf8=_needs_smtputf8(raw, built),
        needs_binarymime=built.binary,
        valid_for_smtp=built.valid_for_smtp,
        leaves=leaves_of(built),
        decoded_headers=built.decoded_headers,
    )


def _default_fields(rng: random.Random, index: int) -> list[bytes]:
    offset = timezone(timedelta(minutes=rng.choice(_OFFSETS_MINUTES)))
    moment = _EPOCH + timedelta(seconds=rng.randrange(366 * 24 * 3600))
    message_id = f"<{rng.getrandbits(64):016x}.{index + 1:04d}@corpus.mailharness.test>"
    return [
        header("Date", format_datetime(moment.astimezone(offset))),
        header("From", "Mailharness Corpus <corpus@mailharness.test>"),
        header("To", "Corpus Recipient <recipient@mailharness.test>"),
        header("Subject", "mailharness corpus message"),
        header("Message-ID", message_id),
        header("MIME-Version", "1.0"),
    ]


def _field_name(line: bytes) -> bytes:
    return line.split(b":", 1)[0].strip().lower()


def _merge_fields(defaults: list[bytes], overrides: tuple[bytes, ...]) -> list[bytes]:
    """Replace default fields by same-named overrides in place; append the rest."""
    merged = list(defaults)
    positions = {_field_name(line): i for i, line in enumerate(merged)}
    for line in overrides:
        position = positions.get(_field_name(line))
        if position is None:
            merged.append(line)
        else:
            merged[position] = line
    return merged


def _needs_smtputf8(raw: bytes, built: Built) -> bool:
    envelope = [built.envelope_from, *built.envelope_to]
    header_end = raw.find(CRLF + CRLF)
    headers = raw if header_end < 0 else raw[:header_end]
    return not all(address.isascii() for address in envelope) or not headers.isascii()
