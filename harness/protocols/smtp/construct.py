"""Fast positional constructors for the hottest frozen values.

A frozen dataclass's generated ``__init__`` pays one ``object.__setattr__``
call per field; the parser builds an Address, a Path and a MailFrom/RcptTo
for every envelope line (and MailParams with seven fields). These builders
set the slots of a frozen, slotted dataclass through their descriptors
instead, up to twice as fast. The result is an ordinary instance: equal,
hashable and immutable as usual. (No __post_init__ exists to be skipped.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, fields
from typing import Any, TypeVar

T = TypeVar("T")


def builder2(cls: type[T]) -> Callable[[Any, Any], T]:
    """A constructor taking the two fields of ``cls`` positionally."""
    first, second = (getattr(cls, field.name).__set__ for field in fields(cls))  # type: ignore[arg-type]
    new = object.__new__

    def build(a: Any, b: Any) -> T:
        obj = new(cls)
        first(obj, a)
        second(obj, b)
        return obj

    return build


def builder_from_dict(cls: type[T]) -> Callable[[dict[str, Any]], T]:
    """A constructor taking a dict of fields; absent ones get their defaults."""
    spec = [(getattr(cls, f.name).__set__, f.name, f.default) for f in fields(cls)]  # type: ignore[arg-type]
    if any(default is MISSING for _, _, default in spec):
        raise TypeError(f"every field of {cls.__name__} needs a plain default")
    new = object.__new__

    def build(values: dict[str, Any]) -> T:
        obj = new(cls)
        get = values.get
        for setter, name, default in spec:
            setter(obj, get(name, default))
        return obj

    return build
