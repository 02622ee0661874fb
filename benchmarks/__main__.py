"""Run the benchmarks: ``.venv/bin/python -m benchmarks [NAME ...] [--quick] [--list]``.

Every ``benchmarks/bench_*.py`` is a benchmark; NAME is its module name, with
or without the ``bench_`` prefix (``server_smtp``, ``bench_store``). With no
NAME, all of them run, one after another, each in its own interpreter so
none inherits another's threads, imports or memory. ``--quick`` is passed to
those that take it (smaller runs, for a smoke test); the others run as they
are. Output passes straight through; a summary follows. Exit status 0 when
every benchmark finished, 1 otherwise.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Benchmark:
    name: str  # the module name, bench_...
    summary: str  # the first line of its docstring
    takes_quick: bool

    @property
    def short(self) -> str:
        return self.name.removeprefix("bench_")


def discover() -> list[Benchmark]:
    found = []
    for path in sorted(HERE.glob("bench_*.py")):
        source = path.read_text()
        doc = ast.get_docstring(ast.parse(source)) or ""
        found.append(Benchmark(path.stem, doc.split("\n")[0], '"--quick"' in source))
    return found


def select(available: list[Benchmark], names: list[str]) -> list[Benchmark]:
    by_name = {b.name: b for b in available} | {b.short: b for b in available}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        known = ", ".join(b.short for b in available)
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)} (known: {known})")
    return [by_name[name] for name in names] if names else available


def run(benchmark: Benchmark, quick: bool) -> tuple[int, float]:
    command = [sys.executable, "-m", f"benchmarks.{benchmark.name}"]
    if quick and benchmark.takes_quick:
        command.append("--quick")
    print(f"\n=== {benchmark.short}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    code = subprocess.call(command, cwd=HERE.parent)
    return code, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller runs where supported")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args()
    chosen = select(discover(), args.names)
    if args.list:
        for benchmark in chosen:
            quick = "" if benchmark.takes_quick else "  (no --quick)"
            print(f"{benchmark.short:<20} {benchmark.summary}{quick}")
        return 0
    results = [(benchmark, *run(benchmark, args.quick)) for benchmark in chosen]
    print("\n=== summary")
    for benchmark, code, seconds in results:
        status = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"{benchmark.short:<20} {status:<18} {seconds:7.1f} s")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
