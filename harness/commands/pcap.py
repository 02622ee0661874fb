"""``mailharness pcap``: the SMTP, POP3 and IMAP conversations of a capture, as transcripts.

Works on any pcap or pcapng file, including one tcpdump took of traffic
mailharness had no part in. Each conversation is reassembled, decoded by the
sans-IO cores and printed in the C:/S: text form; protocol violations the
cores see are flagged in place. ``--as-script`` writes script skeletons
instead, so a bug seen in production becomes a regression case.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from harness.capture.decode import DEFAULT_PORTS, PROTOCOLS, PcapDecoding, decode_pcap
from harness.capture.pcapfile import PcapFormatError
from harness.capture.render import render_decoded, script_skeleton

DESCRIPTION = """\
Reassemble the SMTP, POP3 and IMAP conversations of a pcap/pcapng file and
print each as a C:/S: transcript (the script syntax of suites/README.md),
decoded by mailharness's protocol cores. Protocol violations are flagged
with '# !!' lines, gaps in the capture and TLS with '# --' lines.

Ports decide the protocol; by default:
  smtp 25 465 587 2525 10025 10587, pop3 110 10110, imap 143 10143
(plus 10465/993/995/10993/10995 as implicit TLS). Connections on other
ports are decoded when the server greets like a mail server. Encrypted
traffic is counted, not shown: decrypt it in Wireshark or tshark with the
TLS key log (docs/capture.md).
"""

EXAMPLES = """\
examples:
  tcpdump -i lo -w mail.pcap 'tcp port 25 or tcp port 143'   # (as root)
  mailharness pcap mail.pcap
  mailharness pcap mail.pcap --port smtp=2525 --port imap=1143
  mailharness pcap mail.pcap --as-script --out suites/regressions/
"""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "pcap",
        help="print the mail conversations of a pcap as C:/S: transcripts (or scripts)",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", type=Path, help="a pcap or pcapng file")
    parser.add_argument(
        "--port",
        metavar="PROTO=PORT",
        action="append",
        type=_port_mapping,
        default=[],
        help="decode PORT as PROTO (smtp, pop3 or imap); repeat for several",
    )
    parser.add_argument(
        "--as-script",
        action="store_true",
        help="write script skeletons (.mhs header + C:/S: body) instead of transcripts",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        help="write one file per conversation into DIR (default: print to stdout)",
    )


def _port_mapping(text: str) -> tuple[int, str]:
    protocol, equals, port_text = text.partition("=")
    protocol = protocol.strip().lower()
    if not equals or protocol not in PROTOCOLS:
        raise argparse.ArgumentTypeError(
            f"expected PROTO=PORT with PROTO one of {', '.join(PROTOCOLS)}; got {text!r}"
        )
    try:
        port = int(port_text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 1..65535; got {port_text!r}")
    return port, protocol


def run(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        return _error(f"{args.file}: no such file")
    try:
        decoding = decode_pcap(args.file, dict(args.port))
    except PcapFormatError as error:
        return _error(str(error))
    if not decoding.connections:
        return _error(_nothing_found(decoding), status=1)
    if args.out is not None:
        _write_files(decoding, args.out, args.as_script)
    else:
        sys.stdout.write(_joined(decoding, args.as_script))
    print(_summary(decoding), file=sys.stderr)
    return 0


def _error(message: str, status: int = 2) -> int:
    print(f"mailharness pcap: error: {message}", file=sys.stderr)
    return status


def _nothing_found(decoding: PcapDecoding) -> str:
    name = decoding.path.name
    tcp = len(decoding.skipped)
    if not decoding.stats.tcp_segments:
        return f"{name}: no TCP streams found ({decoding.stats.packets} packets)"
    known = " ".join(str(p) for p in sorted(DEFAULT_PORTS))
    return (
        f"{name}: no SMTP, POP3 or IMAP conversation found among {_count(tcp, 'TCP connection')} "
        f"(ports known: {known}; add others with --port PROTO=PORT)"
    )


def _joined(decoding: PcapDecoding, as_script: bool) -> str:
    if as_script:
        return "\n".join(script_skeleton(d, decoding.path) for d in decoding.connections)
    texts = [render_decoded(d) for d in decoding.connections]
    texts += [f"# skipped {line}\n" for line in decoding.skipped]
    return "\n".join(texts)


def _write_files(decoding: PcapDecoding, out: Path, as_script: bool) -> None:
    out.mkdir(parents=True, exist_ok=True)
    stem = decoding.path.stem
    for decoded in decoding.connections:
        name = f"{stem}-{decoded.number}-{decoded.protocol}"
        if as_script:
            (out / f"{name}.mhs").write_text(
                script_skeleton(decoded, decoding.path), encoding="utf-8"
            )
        else:
            (out / f"{name}.txt").write_text(render_decoded(decoded), encoding="utf-8")
    print(f"wrote {_count(len(decoding.connections), 'file')} to {out}", file=sys.stderr)


def _summary(decoding: PcapDecoding) -> str:
    protocols = Counter(d.protocol for d in decoding.connections)
    kinds = ", ".join(f"{protocol} {count}" for protocol, count in sorted(protocols.items()))
    violations = sum(len(d.violations) for d in decoding.connections)
    encrypted = sum(d.encrypted for d in decoding.connections)
    text = (
        f"{decoding.path.name}: {_count(decoding.stats.packets, 'packet')}, "
        f"{_count(len(decoding.connections), 'mail conversation')} ({kinds}), "
        f"{_count(violations, 'violation')}"
    )
    if encrypted:
        text += f", {encrypted} encrypted (TLS; not shown)"
    if decoding.skipped:
        text += f", {_count(len(decoding.skipped), 'other TCP connection')} skipped"
    return text


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
