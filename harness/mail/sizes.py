"""Message sizes for load: a size mix, and messages of an exact requested size.

The default mix is an assumption, not a measurement: most mail is a few
kilobytes of text, a good share carries a small attachment, a few carry
documents, and a small tail carries multi-megabyte files. Load profiles can
pass their own bands.

* 50 %: 2-4 KiB, plain notes and replies
* 30 %: 10-50 KiB, HTML mail, small inline images
* 15 %: 100-500 KiB, documents, photos
* 5 %: 1-5 MiB, large attachments

Within a band the size is uniform; the mean of the mix is about 210 KiB.
Sizes count the whole message as generated (before dot-stuffing).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from harness.mail import mime
from harness.mail.corpus import CorpusMessage, compose
from harness.mail.kinds.base import Built, Draft
from harness.mail.text import exact_filler

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True)
class SizeBand:
    weight: float  # relative share of messages in this band
    smallest: int  # octets, whole message on the wire
    largest: int


SIZE_MIX: tuple[SizeBand, ...] = (
    SizeBand(0.50, 2 * KIB, 4 * KIB),
    SizeBand(0.30, 10 * KIB, 50 * KIB),
    SizeBand(0.15, 100 * KIB, 500 * KIB),
    SizeBand(0.05, 1 * MIB, 5 * MIB),
)


def sample_size_mix(rng: random.Random, bands: Sequence[SizeBand] = SIZE_MIX) -> int:
    """A message size in octets drawn from ``bands`` (default: ``SIZE_MIX``)."""
    band = rng.choices(bands, weights=[band.weight for band in bands])[0]
    return rng.randint(band.smallest, band.largest)


# Below this a message is text only; above it most octets are an attachment,
# as in real mail, so big messages exercise base64 rather than prose.
ATTACHMENT_THRESHOLD = 16 * KIB
# base64 with 76-character lines: 57 input octets become 78 on the wire.
_BASE64_RAW_PER_WIRE = 57 / 78


@dataclass(frozen=True)
class _SizedBuilder:
    size: int
    filler_octets: int

    def __call__(self, draft: Draft) -> Built:
        text = mime.text(exact_filler(draft.rng, self.filler_octets), charset="us-ascii")
        if self.size < ATTACHMENT_THRESHOLD:
            return Built(text)
        # About 90 % of the message in the attachment; the text takes the rest.
        raw_octets = int(self.size * 0.9 * _BASE64_RAW_PER_WIRE)
        data = mime.attachment(
            draft.binary_payload(raw_octets), "application/octet-stream", "payload.bin"
        )
        return Built(mime.multipart("mixed", [text, data], draft.boundary()))


def message_of_size(seed: int, size: int, index: int = 0) -> CorpusMessage:
    """A valid message of exactly ``size`` octets (raw, before dot-stuffing).

    Built twice: once with a minimal text part to measure the fixed parts,
    then with text filling the difference. The fixed parts do not depend on
    the filler, so the second build lands exactly on ``size``.
    """
    name = f"{index + 1:04d}-sized-{size}"
    probe = compose(seed, index, "sized", _SizedBuilder(size, 2), name=name)
    filler = size - probe.size + 2
    if filler < 2:
        raise ValueError(f"the smallest sized message is {probe.size} octets; {size} was asked for")
    message = compose(seed, index, "sized", _SizedBuilder(size, filler), name=name)
    if message.size != size:  # an invariant of the two-pass build, not an input error
        raise AssertionError(f"sized message is {message.size} octets, not {size}")
    return message


def iter_size_mix(
    seed: int, count: int, bands: Sequence[SizeBand] = SIZE_MIX
) -> Iterator[CorpusMessage]:
    """``count`` messages whose sizes follow ``bands``, deterministic for ``seed``."""
    rng = random.Random(f"mailharness-size-mix:{seed}")
    for index in range(count):
        yield message_of_size(seed, sample_size_mix(rng, bands), index)
