"""The import rules of the architecture (README "Architecture"), checked on the source.

The arrows run one way: cli -> everything; server, conformance, load, capture ->
protocols; server, conformance -> net; report knows no I/O. The protocol cores
import nothing of the project but themselves and no I/O library. The load code
never imports trio (locust patches the standard library with gevent, under
which trio cannot run); the trio side never imports locust or gevent.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parent.parent / "harness"

IO_LIBRARIES = {"trio", "socket", "ssl", "gevent", "scapy", "asyncio", "threading", "selectors"}
GEVENT_SIDE = {"locust", "gevent"}

# package -> (forbidden top-level modules, forbidden harness subpackages)
RULES: dict[str, tuple[set[str], set[str]]] = {
    "protocols": (IO_LIBRARIES, {"*"}),
    "report": ({"trio", "socket", "ssl", "gevent", "locust", "scapy"}, {"server", "net", "load"}),
    "load": ({"trio"}, {"server", "net", "conformance", "cli"}),
    "server": (GEVENT_SIDE, {"load", "cli", "conformance"}),
    "net": (GEVENT_SIDE, {"load", "cli", "server", "conformance"}),
    "conformance": (GEVENT_SIDE, {"load", "cli"}),
    "transcript": (GEVENT_SIDE | {"trio"}, {"server", "load", "cli"}),
    "capture": (GEVENT_SIDE | {"trio"}, {"server", "load", "cli", "conformance"}),
    "mail": (GEVENT_SIDE | {"trio", "socket"}, {"server", "load", "cli", "conformance", "net"}),
}


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def violations(package: str) -> list[str]:
    forbidden_top, forbidden_sub = RULES[package]
    found = []
    for path in sorted((HARNESS / package).rglob("*.py")):
        for name in imported_modules(path):
            top = name.split(".")[0]
            parts = name.split(".")
            where = f"{path.relative_to(HARNESS.parent)} imports {name}"
            if top in forbidden_top:
                found.append(where)
            elif top == "harness" and len(parts) > 1:
                sub = parts[1]
                if sub == package:
                    continue
                if "*" in forbidden_sub or sub in forbidden_sub:
                    found.append(where)
    return found


@pytest.mark.parametrize("package", sorted(RULES))
def test_package_respects_import_rules(package: str) -> None:
    if not (HARNESS / package).is_dir():
        pytest.skip(f"harness/{package} does not exist yet")
    assert violations(package) == []


def test_rule_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import trio\nfrom harness.server import store\n", encoding="utf-8")
    assert imported_modules(bad) == ["trio", "harness.server"]
