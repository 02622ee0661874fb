"""``mailharness corpus``: write the deterministic test corpus as .eml files.

Each message becomes ``DIR/<name>.eml`` (CRLF line endings, exactly the bytes
to send); ``DIR/manifest.json`` lists them with kind, size, SHA-256 and the
SMTP extensions each one needs. The same seed always writes the same files.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from harness import __version__
from harness.mail.corpus import CorpusMessage, iter_corpus
from harness.mail.integrity import HASH_HEADER
from harness.mail.kinds import ALL_KINDS, DEFAULT_KINDS
from harness.mail.sizes import iter_size_mix, message_of_size

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
PROGRESS_FROM = 50  # messages; below this the run is over before a bar helps

DESCRIPTION = """\
Write a deterministic corpus of tricky mail messages as .eml files, plus a
manifest.json index. Messages cycle through the chosen kinds (dot-stuffing,
998-octet lines, 8bit and binary bodies, deep MIME nesting, RFC 2047/2231
headers, SMTPUTF8 addresses...). The same --seed always gives the same bytes.

Every message starts with an X-Mailharness-Hash header: the SHA-256 of all
octets after that header line, so a copy fetched back over IMAP or POP3 can
be checked even after a server prepends Received: lines.
"""

EXAMPLES = """\
examples:
  mailharness corpus --out corpus/ --count 40 --seed 7
  mailharness corpus --out dots/ --count 3 --kind leading-dots --kind long-lines
  mailharness corpus --out load/ --count 1000 --size-mix
  mailharness corpus --list-kinds
"""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "corpus",
        help="write a deterministic corpus of tricky test messages (.eml + manifest)",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out", metavar="DIR", type=Path, help="directory to write into (created if missing)"
    )
    parser.add_argument(
        "--count",
        metavar="N",
        type=_non_negative,
        default=len(DEFAULT_KINDS),
        help=f"number of messages (default {len(DEFAULT_KINDS)}: one of each default kind)",
    )
    parser.add_argument("--seed", metavar="S", type=int, default=0, help="random seed (default 0)")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument(
        "--kind",
        metavar="K",
        action="append",
        choices=[kind.name for kind in ALL_KINDS],
        help="only this kind; repeat for several (default: every kind not marked 'by name only')",
    )
    choice.add_argument(
        "--size-mix",
        action="store_true",
        help="plain load messages with realistic sizes (2 KiB-5 MiB)",
    )
    choice.add_argument(
        "--size", metavar="OCTETS", type=_non_negative, help="plain messages of exactly this size"
    )
    parser.add_argument(
        "--force", action="store_true", help="write into a directory that is not empty"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    parser.add_argument("--list-kinds", action="store_true", help="list the message kinds and exit")


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def run(args: argparse.Namespace) -> int:
    if args.list_kinds:
        print(_kind_table())
        return 0
    if args.out is None:
        return _error("--out DIR is required (the directory to write the corpus into)")
    problem = _output_problem(args.out, args.force)
    if problem:
        return _error(problem)
    try:
        # Build the first message before touching the disk, so a bad request
        # (a --size below the smallest message) leaves no directory behind.
        messages = _messages(args)
        first = next(messages, None)
        args.out.mkdir(parents=True, exist_ok=True)
        entries = _write_all(args, itertools.chain([first] if first else [], messages))
        _write_manifest(args, entries)
    except (OSError, ValueError) as exc:
        return _error(str(exc))
    if not args.quiet:
        total = sum(entry["size"] for entry in entries)
        print(f"wrote {len(entries)} messages ({total:,} octets) and {MANIFEST} to {args.out}")
    return 0


def _error(message: str) -> int:
    print(f"mailharness corpus: error: {message}", file=sys.stderr)
    return 2


def _output_problem(out: Path, force: bool) -> str | None:
    if out.exists() and not out.is_dir():
        return f"--out {out} is a file, not a directory"
    if out.is_dir() and any(out.iterdir()) and not force:
        return f"--out {out} is not empty; use --force to write into it anyway"
    return None


def _messages(args: argparse.Namespace) -> Iterator[CorpusMessage]:
    if args.size_mix:
        return iter_size_mix(args.seed, args.count)
    if args.size is not None:
        return (message_of_size(args.seed, args.size, index) for index in range(args.count))
    return iter_corpus(args.seed, args.count, args.kind)


def _write_all(args: argparse.Namespace, messages: Iterable[CorpusMessage]) -> list[dict[str, Any]]:
    show_bar = not args.quiet and args.count >= PROGRESS_FROM
    progress = _progress() if show_bar else None
    entries = []
    with progress or nullcontext():
        task = progress.add_task("writing", total=args.count) if progress else None
        for message in messages:
            (args.out / f"{message.name}.eml").write_bytes(message.raw)
            entries.append(_entry(message))
            if progress is not None and task is not None:
                progress.advance(task)
    return entries


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]corpus[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def _entry(message: CorpusMessage) -> dict[str, Any]:
    return {
        "name": message.name,
        "file": f"{message.name}.eml",
        "kind": message.kind,
        "size": message.size,
        "sha256": message.sha256,
        "flags": message.flags(),
        "envelope_from": message.envelope_from,
        "envelope_to": list(message.envelope_to),
    }


def _write_manifest(args: argparse.Namespace, entries: list[dict[str, Any]]) -> None:
    manifest = {
        "format": MANIFEST_FORMAT,
        "generator": f"mailharness {__version__}",
        "seed": args.seed,
        "count": len(entries),
        "hash_header": HASH_HEADER,
        "hash_rule": f"sha256 of every octet after the {HASH_HEADER} line (CRLF included) to the end",
        "messages": entries,
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (args.out / MANIFEST).write_text(text, encoding="utf-8")


def _kind_table() -> str:
    width = max(len(kind.name) for kind in ALL_KINDS)
    lines = []
    for kind in ALL_KINDS:
        note = "" if kind.in_default_set else " [by name only]"
        lines.append(f"{kind.name:<{width}}  {kind.summary}{note}")
    return "\n".join(lines)
