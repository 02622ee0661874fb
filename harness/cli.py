"""The ``mailharness`` command line: parses arguments and calls the library.

Each subcommand lives in ``harness/commands/<name>.py`` with two functions:
``add_parser(subparsers)`` declares its arguments and ``run(args) -> int``
does the work. This module only wires them together, so a command exists
exactly when its module is listed in ``COMMANDS`` and works.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from harness import __version__

# Order is the order shown in --help: the main job first.
COMMANDS: tuple[str, ...] = (
    "run",
    "conform",
    "load",
    "serve",
    "corpus",
    "report",
    "compare",
    "pcap",
)

DESCRIPTION = """\
mailharness: a mail-protocol test harness and load generator.

It bundles a strict reference SMTP/POP3/IMAP server, runs RFC-traced
conformance suites and load profiles against it or any mail server, and
records transcripts and packet traces into reports you can compare.
"""

EPILOG = "Run 'mailharness COMMAND --help' for the options of one command."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailharness",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mailharness {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"harness.commands.{name}")
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    module = importlib.import_module(f"harness.commands.{args.command}")
    try:
        return int(module.run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
