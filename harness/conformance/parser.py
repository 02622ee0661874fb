"""Script files -> Script models (suites/README.md is the specification).

``parse_script(text, path)`` parses one script, ``parse_file`` reads one from
disk and checks its file name, ``load_suite`` parses every ``.mhs`` under a
folder and checks that case ids are unique. Errors are ScriptError, naming
``file:line`` and what was expected there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from harness.conformance.body import BodyParser, account_variables
from harness.conformance.header import parse_header, split_front_matter
from harness.conformance.lines import BodyLine, classify
from harness.conformance.model import Location, Script, ScriptError

SUFFIX = ".mhs"
KEBAB_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def parse_script(text: str, path: str, *, area: str | None = None) -> Script:
    """Parse a script's text; ``path`` names it in locations and messages."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    header_lines, body_start = split_front_matter(lines, path)
    header = parse_header(header_lines, path, area)
    body = list(_body_lines(lines, body_start, path))
    if not body:
        raise ScriptError(Location(path, len(lines)), "the script has no steps after the header")
    parser = BodyParser(body, header, account_variables(header.accounts))
    steps = parser.parse()
    return Script(path=path, header=header, steps=steps, sessions=tuple(parser.sessions))


def _body_lines(lines: list[str], start: int, path: str) -> Iterator[BodyLine]:
    for index in range(start, len(lines)):
        line = classify(Location(path, index + 1), lines[index])
        if line is not None:
            yield line


def parse_file(path: Path | str, *, root: Path | str | None = None) -> Script:
    """Read and parse one script file.

    Locations name the file relative to ``root`` when given (reports stay
    the same wherever the checkout is). The area is the file's folder.
    """
    file = Path(path)
    shown = file.relative_to(root).as_posix() if root is not None else file.as_posix()
    if file.suffix != SUFFIX or not KEBAB_NAME.fullmatch(file.stem):
        raise ScriptError(
            Location(shown, 1), f"script names are kebab-case with {SUFFIX}: like ehlo-basic.mhs"
        )
    try:
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        line = file.read_bytes()[: error.start].count(b"\n") + 1
        raise ScriptError(Location(shown, line), "the file is not valid UTF-8") from None
    area = file.parent.name if file.parent.name else None
    return parse_script(text, shown, area=area)


def load_suite(root: Path | str) -> list[Script]:
    """Every script under ``root``, sorted by path; case ids must be unique."""
    base = Path(root)
    scripts = [parse_file(path, root=base) for path in sorted(base.rglob(f"*{SUFFIX}"))]
    seen: dict[str, str] = {}
    for script in scripts:
        if script.id in seen:
            raise ScriptError(
                Location(script.path, 1), f"id {script.id} is also used by {seen[script.id]}"
            )
        seen[script.id] = script.path
    return scripts
