"""Load messages: corpus messages of the profile's size mix, each with its own id.

Every message a sender submits carries ``X-Mailharness-Id: load-<run>/<n>``
and a valid ``X-Mailharness-Hash`` (harness.mail.integrity), so a reader can
say which message arrived and whether every octet survived. The run part of
the id keeps runs apart: a reader ignores messages an earlier run left behind.

Building a multi-megabyte corpus message takes a while, so each process builds
a small pool of templates once (``harness.mail.sizes.message_of_size`` over
sizes drawn from the mix) and stamps a fresh id and hash on a template for
each message: the size mix holds and the hashing is all that is paid per
message.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from harness.mail.integrity import ID_HEADER, covered_octets, stamp
from harness.mail.sizes import SizeBand, message_of_size, sample_size_mix

ID_PREFIX = "load-"
DEFAULT_POOL = 24
_ID_LINE = re.compile(rb"(?im)^x-mailharness-id:[ \t]*([^\r\n]+?)[ \t]*\r?$")


def make_id(run_id: str, sender: str, sequence: int) -> str:
    """``load-<run>/<sender>-<sequence>``: unique within the run (sender is per user)."""
    return f"{ID_PREFIX}{run_id}/{sender}-{sequence}"


def run_of(message_id: str) -> str | None:
    """The run an id belongs to, or None for ids no load run wrote."""
    if not message_id.startswith(ID_PREFIX) or "/" not in message_id:
        return None
    return message_id[len(ID_PREFIX) :].split("/", 1)[0]


def read_id(header_section: bytes) -> str | None:
    """The X-Mailharness-Id in a header section (or a whole message), if any."""
    end = header_section.find(b"\r\n\r\n")
    head = header_section if end < 0 else header_section[: end + 2]
    match = _ID_LINE.search(head)
    return match.group(1).decode("ascii", "replace") if match else None


def with_id(template: bytes, message_id: str) -> bytes:
    """``template`` (a corpus message) with its id replaced and its hash redone."""
    rest = covered_octets(template)
    if rest is None or not rest[:17].lower() == b"x-mailharness-id:":
        raise ValueError("template is not a corpus message (hash line, then id line)")
    body = rest[rest.index(b"\r\n") + 2 :]
    return stamp(f"{ID_HEADER}: {message_id}\r\n".encode("ascii") + body)


class MessageFactory:
    """Messages of a size mix; deterministic for a seed, templates built lazily."""

    def __init__(self, seed: int, bands: Sequence[SizeBand], pool: int = DEFAULT_POOL) -> None:
        rng = random.Random(f"mailharness-load-sizes:{seed}")
        self.seed = seed
        self.sizes = [sample_size_mix(rng, bands) for _ in range(pool)]
        self._templates: dict[int, bytes] = {}

    def message(self, message_id: str, rng: random.Random) -> bytes:
        """A message of a size drawn from the mix, carrying ``message_id``."""
        return with_id(self._template(rng.randrange(len(self.sizes))), message_id)

    def _template(self, index: int) -> bytes:
        template = self._templates.get(index)
        if template is None:
            template = message_of_size(self.seed, self.sizes[index], index).raw
            self._templates[index] = template
        return template
