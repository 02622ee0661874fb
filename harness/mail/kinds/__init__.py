"""The corpus kinds: one builder per tricky message shape, found by name.

``base`` says what a kind is; ``basic``, ``structure``, ``headers`` and
``transport`` hold the builders. A new family (S/MIME, PGP/MIME) is a new
module with its own ``KINDS`` tuple, added to ``ALL_KINDS`` below.
"""

from __future__ import annotations

from harness.mail.kinds import basic, headers, secure, structure, transport
from harness.mail.kinds.base import Built, Draft, Kind

__all__ = ["ALL_KINDS", "DEFAULT_KINDS", "Built", "Draft", "Kind", "kind_named"]

ALL_KINDS: tuple[Kind, ...] = (
    *basic.KINDS,
    *structure.KINDS,
    *headers.KINDS,
    *transport.KINDS,
    *secure.KINDS,
)

DEFAULT_KINDS: tuple[Kind, ...] = tuple(kind for kind in ALL_KINDS if kind.in_default_set)

_BY_NAME = {kind.name: kind for kind in ALL_KINDS}
if len(_BY_NAME) != len(ALL_KINDS):
    raise RuntimeError("two corpus kinds share a name")


def kind_named(name: str) -> Kind:
    """The kind called ``name``; a ValueError lists the known names otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(sorted(_BY_NAME))
        raise ValueError(f"unknown corpus kind {name!r}; known kinds: {known}") from None
