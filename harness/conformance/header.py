"""The script header: a TOML block between ``+++`` lines (suites/README.md, "Header").

``tomllib`` does the TOML; this module checks the keys and their values and
turns them into a Header, reporting problems at the line of the offending key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from harness.conformance.model import (
    Header,
    Level,
    Location,
    Protocol,
    ScriptError,
    SeedMessage,
    Service,
    SessionState,
)

FENCE = "+++"
ID_PATTERN = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+(?:/[a-z0-9]+(?:-[a-z0-9]+)*)?")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|min)?")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "min": 60.0, None: 1.0}
REQUIRED = ("id", "title", "rfc", "section", "level", "protocol", "service")
OPTIONAL = ("requires", "state", "accounts", "seed", "timeout", "area", "description")
SEED_KEYS = {"corpus", "message", "account", "mailbox", "flags"}
IMAP_SERVICES = {Service.IMAP, Service.IMAPS}

E = TypeVar("E", bound=StrEnum)


def parse_duration(value: object) -> float:
    """Seconds from ``10``, ``2.5``, ``"300ms"``, ``"10s"`` or ``"5min"``; raises ValueError."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    match = _DURATION.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or float(match.group(1)) <= 0:
        raise ValueError(f"expected a positive duration like 300ms, 10s or 5min, got {value!r}")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def split_front_matter(lines: list[str], file: str) -> tuple[list[str], int]:
    """The header's lines and the index of the first body line."""
    if not lines or lines[0].strip() != FENCE:
        raise ScriptError(Location(file, 1), f"expected the header to open with '{FENCE}'")
    for index in range(1, len(lines)):
        if lines[index].strip() == FENCE:
            return lines[1:index], index + 1
    raise ScriptError(Location(file, 1), f"the header is not closed by a '{FENCE}' line")


def parse_header(header_lines: list[str], file: str, folder_area: str | None) -> Header:
    """Check the TOML header (which starts on file line 2) and build a Header."""
    checker = _HeaderChecker(header_lines, file)
    return checker.build(folder_area)


class _HeaderChecker:
    def __init__(self, header_lines: list[str], file: str) -> None:
        self.lines = header_lines
        self.file = file
        self.table = self._load()

    def _load(self) -> dict[str, Any]:
        try:
            return tomllib.loads("\n".join(self.lines))
        except tomllib.TOMLDecodeError as error:
            message = str(error)
            found = re.search(r"\(at line (\d+), column \d+\)", message)
            line = int(found.group(1)) + 1 if found else 1
            detail = message[: found.start()].strip() if found else message
            raise ScriptError(Location(self.file, line), f"bad TOML in header: {detail}") from None

    def at(self, key: str) -> Location:
        """The file line where ``key`` is set (the opening fence if it is absent)."""
        pattern = re.compile(rf"\s*(\[\[)?{re.escape(key)}\s*(=|\]\])")
        for offset, line in enumerate(self.lines):
            if pattern.match(line):
                return Location(self.file, offset + 2)
        return Location(self.file, 1)

    def fail(self, key: str, message: str) -> ScriptError:
        return ScriptError(self.at(key), message)

    def text(self, key: str, default: str | None = None) -> str:
        value = self.table.get(key, default)
        if value is None:
            raise self.fail(key, f"header lacks required key '{key}'")
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"'{key}' must be a non-empty string")
        return value.strip()

    def choice(self, key: str, enum: type[E], default: E | None = None) -> E:
        if key not in self.table and default is not None:
            return default
        raw = self.text(key)
        try:
            return enum(raw)
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            raise self.fail(key, f"'{key}' must be one of {allowed}; got {raw!r}") from None

    def build(self, folder_area: str | None) -> Header:
        unknown = sorted(set(self.table) - set(REQUIRED) - set(OPTIONAL))
        if unknown:
            known = ", ".join(REQUIRED + OPTIONAL)
            raise self.fail(unknown[0], f"unknown header key '{unknown[0]}' (known: {known})")
        service = self.choice("service", Service)
        state = self.choice("state", SessionState, SessionState.GREETED)
        if state is SessionState.SELECTED and service not in IMAP_SERVICES:
            raise self.fail("state", "state 'selected' needs an IMAP service")
        accounts = self.accounts()
        return Header(
            id=self.case_id(),
            title=self.text("title"),
            rfc=self.rfc(),
            section=self.text("section"),
            level=self.choice("level", Level),
            protocol=self.choice("protocol", Protocol),
            service=service,
            requires=self.string_list("requires"),
            state=state,
            accounts=accounts,
            seed=self.seeds(accounts),
            timeout=self.converted("timeout", parse_duration, 10.0),
            area=self.table.get("area", folder_area),
            description=str(self.table.get("description", "")).strip(),
        )

    def case_id(self) -> str:
        value = self.text("id")
        if not ID_PATTERN.fullmatch(value):
            raise self.fail(
                "id", f"'id' must be a catalogue ID like SMTP-EHLO-RESP[/variant]; got {value!r}"
            )
        return value

    def rfc(self) -> str:
        value = self.table.get("rfc")
        if isinstance(value, int) and not isinstance(value, bool):
            return f"RFC {value}"
        text = self.text("rfc")
        return f"RFC {text}" if text.isdigit() else text

    def accounts(self) -> int:
        value = self.table.get("accounts", 1)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 100:
            raise self.fail(
                "accounts", f"'accounts' must be an integer from 1 to 100; got {value!r}"
            )
        return value

    def string_list(self, key: str) -> tuple[str, ...]:
        value = self.table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, f"'{key}' must be a list of strings")
        return tuple(value)

    def converted(self, key: str, convert: Callable[[object], float], default: float) -> float:
        if key not in self.table:
            return default
        try:
            return convert(self.table[key])
        except ValueError as error:
            raise self.fail(key, f"'{key}': {error}") from None

    def seeds(self, accounts: int) -> tuple[SeedMessage, ...]:
        value = self.table.get("seed", [])
        if not isinstance(value, list):
            raise self.fail("seed", "'seed' must be a list of corpus names or tables")
        return tuple(self.seed(entry, accounts) for entry in value)

    def seed(self, entry: object, accounts: int) -> SeedMessage:
        if isinstance(entry, str) and entry:
            return SeedMessage(corpus=entry)
        if not isinstance(entry, Mapping):
            raise self.fail("seed", f"a seed is a corpus name or a table; got {entry!r}")
        unknown = sorted(set(entry) - SEED_KEYS)
        if unknown:
            raise self.fail("seed", f"unknown seed key '{unknown[0]}' (known: {sorted(SEED_KEYS)})")
        corpus, message = entry.get("corpus"), entry.get("message")
        if (corpus is None) == (message is None):
            raise self.fail("seed", "a seed table needs exactly one of 'corpus' and 'message'")
        account = entry.get("account", 1)
        if not isinstance(account, int) or not 1 <= account <= accounts:
            raise self.fail("seed", f"seed account must be 1..{accounts}; got {account!r}")
        flags = entry.get("flags", [])
        if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
            raise self.fail("seed", "seed 'flags' must be a list of strings")
        return SeedMessage(
            corpus=str(corpus) if corpus is not None else None,
            message=_crlf(str(message)) if message is not None else None,
            account=account,
            mailbox=str(entry.get("mailbox", "INBOX")),
            flags=tuple(flags),
        )


def _crlf(text: str) -> bytes:
    """Inline messages are written with the file's LF line ends; mail needs CRLF."""
    return re.sub(r"\r?\n", "\r\n", text).encode("utf-8")
