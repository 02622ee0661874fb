"""Which side of a connection a core plays, and the NEED_DATA sentinel."""

from __future__ import annotations

import enum


class Role(enum.Enum):
    """A core is either the CLIENT (sends commands) or the SERVER (sends replies)."""

    CLIENT = "client"
    SERVER = "server"

    @property
    def peer(self) -> Role:
        return Role.SERVER if self is Role.CLIENT else Role.CLIENT


class NeedData:
    """Returned by ``next_event()`` when more bytes must arrive first (h11's idiom)."""

    _instance: NeedData | None = None

    def __new__(cls) -> NeedData:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA = NeedData()
