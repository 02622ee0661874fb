"""Typed reads from parsed TOML tables, with errors that name the file and key.

Target files and the server config are written by hand, so a typo must fail at
load time with a message a person can act on ("server.toml: limits.max_message_size:
expected an integer, got 'big'"), not as a KeyError deep inside a run. Unknown
keys are errors too: a misspelt optional key would otherwise be ignored silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class SettingsError(ValueError):
    """A settings file is malformed; the message names the file and the key."""


class TableReader:
    """Reads one TOML table; ``path`` is the dotted key prefix used in messages."""

    def __init__(
        self,
        table: Mapping[str, Any],
        *,
        source: str,
        path: str = "",
        error: type[SettingsError] = SettingsError,
    ) -> None:
        self.table = table
        self.source = source
        self.path = path
        self.error = error  # each file kind raises its own subclass

    def _sub(self, table: Mapping[str, Any], path: str) -> TableReader:
        return TableReader(table, source=self.source, path=path, error=self.error)

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def fail(self, name: str, problem: str) -> SettingsError:
        return self.error(f"{self.source}: {self.key(name)}: {problem}")

    def has(self, name: str) -> bool:
        return name in self.table

    def reject_unknown(self, allowed: Iterable[str]) -> None:
        unknown = sorted(set(self.table) - set(allowed))
        if unknown:
            raise self.fail(unknown[0], f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def _typed(self, name: str, kind: type[T], what: str, default: T | None) -> T:
        if name not in self.table:
            if default is None:
                raise self.fail(name, "required key is missing")
            return default
        value = self.table[name]
        # bool is an int subclass in Python; TOML keeps them apart, so do we.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(name, f"expected {what}, got {value!r}")
        return value

    def string(self, name: str, default: str | None = None) -> str:
        value = self._typed(name, str, "a string", default)
        if not value:
            raise self.fail(name, "must not be empty")
        return value

    def optional_string(self, name: str) -> str | None:
        return self.string(name) if name in self.table else None

    def boolean(self, name: str, default: bool | None = None) -> bool:
        return self._typed(name, bool, "true or false", default)

    def integer(
        self, name: str, default: int | None = None, *, low: int = 0, high: int | None = None
    ) -> int:
        value = self._typed(name, int, "an integer", default)
        if value < low or (high is not None and value > high):
            bounds = f"{low}..{high}" if high is not None else f">= {low}"
            raise self.fail(name, f"must be {bounds}, got {value}")
        return value

    def number(self, name: str, default: float | None = None, *, low: float = 0.0) -> float:
        if isinstance(self.table.get(name), int) and not isinstance(self.table.get(name), bool):
            value: float = float(self.table[name])
        else:
            value = self._typed(name, float, "a number", default)
        if value < low:
            raise self.fail(name, f"must be >= {low}, got {value}")
        return value

    def choice(self, name: str, allowed: Iterable[str], default: str | None = None) -> str:
        options = list(allowed)
        value = self.string(name, default)
        if value not in options:
            raise self.fail(name, f"expected one of {', '.join(options)}, got {value!r}")
        return value

    def strings(self, name: str, default: list[str] | None = None) -> list[str]:
        values = self._typed(name, list, "a list of strings", default)
        for index, item in enumerate(values):
            if not isinstance(item, str) or not item:
                raise self.fail(f"{name}[{index}]", f"expected a non-empty string, got {item!r}")
        return values

    def table_at(self, name: str) -> TableReader:
        """The sub-table ``name`` (empty if absent)."""
        sub = self._typed(name, dict, "a table", {})
        return self._sub(sub, self.key(name))

    def tables(self, name: str) -> list[TableReader]:
        """An array of tables (``[[name]]``), each readable with its index in messages."""
        items = self._typed(name, list, "an array of tables ([[...]])", [])
        readers = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise self.fail(f"{name}[{index}]", f"expected a table, got {item!r}")
            readers.append(self._sub(item, f"{self.key(name)}[{index}]"))
        return readers
