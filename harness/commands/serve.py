"""``mailharness serve``: run the bundled reference server in the foreground.

Prints each listener once bound (service, address, TLS mode), the services
not served and why, and the test accounts; writes the target file (if asked)
once every listener is bound; then serves until Ctrl-C or SIGTERM, and shuts
down gracefully (sessions cancelled, the store closed with every acknowledged
write committed).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import signal
import sys
from pathlib import Path
from typing import Any, TypeVar

import trio

from harness.server.app import ReferenceServer, RunningServer, ServerStartError
from harness.server.config import ConfigError, ServerConfig, default_config, load_server_config
from harness.targets import SERVICE_PROTOCOLS, write_target

E = TypeVar("E", bound=BaseException)

ACCOUNTS_SHOWN = 4

DESCRIPTION = """\
Run the bundled reference SMTP/POP3/IMAP server until interrupted.

With no config it listens on free loopback ports for smtp, submission, smtps,
pop3, pop3s, imap and imaps, with the demo accounts alice@example.test/alicepw,
bob@example.test/bobpw and load1..load40@example.test/loadpw. A self-signed
certificate is generated under the data directory. See docs/server.md and
docs/server-config.example.toml.
"""

EXAMPLES = """\
examples:
  mailharness serve
  mailharness serve --write-target reference.toml
  mailharness serve --config server.toml --data-dir ./mail --port pop3=1110 --port imap=1143
  mailharness serve --keylog tls-keys.log -v
"""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the bundled reference mail server in the foreground",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", metavar="FILE", type=Path, help="server config (TOML)")
    parser.add_argument(
        "--data-dir", metavar="DIR", type=Path, help="keep the store here (default: the config's)"
    )
    parser.add_argument("--host", metavar="ADDR", help="bind every listener to ADDR")
    parser.add_argument(
        "--port",
        metavar="SERVICE=PORT",
        action="append",
        default=[],
        type=_service_port,
        help="fix a listener's port (repeatable; 0 = a free port)",
    )
    parser.add_argument(
        "--write-target", metavar="FILE", type=Path, help="write a target file once bound"
    )
    parser.add_argument(
        "--keylog", metavar="FILE", type=Path, help="append TLS secrets (SSLKEYLOGFILE format)"
    )
    parser.add_argument(
        "--plaintext-secrets",
        action=argparse.BooleanOptionalAction,
        help="keep passwords in plaintext-equivalent form to offer CRAM-MD5 and POP3 APOP "
        "(default: the config's plaintext_secrets; on without a config file)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log every session and its protocol transcript"
    )


def _service_port(text: str) -> tuple[str, int]:
    service, sep, port = text.partition("=")
    if not sep or service not in SERVICE_PROTOCOLS or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(
            f"expected SERVICE=PORT with SERVICE one of {', '.join(SERVICE_PROTOCOLS)}, "
            f"got {text!r}"
        )
    return service, int(port)


def run(args: argparse.Namespace) -> int:
    _configure_logging(args.verbose)
    try:
        config = build_config(args)
        config.data_dir.mkdir(parents=True, exist_ok=True)
    except ConfigError as exc:
        print(f"mailharness serve: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"mailharness serve: cannot use data dir {config.data_dir}: {exc}", file=sys.stderr)
        return 2
    server = ReferenceServer(config)
    try:
        trio.run(_serve, server, args.write_target)
    except BaseException as exc:
        failure = _first(exc, ServerStartError) or _first(exc, ConfigError)
        if failure is None:
            raise
        print(f"mailharness serve: {failure}", file=sys.stderr)
        return 2
    return 0


def build_config(args: argparse.Namespace) -> ServerConfig:
    """The config file (or the defaults) with the command-line overrides applied."""
    config = load_server_config(args.config) if args.config else default_config()
    changes: dict[str, Any] = {}
    if args.data_dir is not None:
        changes["data_dir"] = args.data_dir
    if args.host is not None:
        changes["host"] = args.host
    if args.keylog is not None:
        changes["tls"] = dataclasses.replace(config.tls, keylog=args.keylog)
    if args.plaintext_secrets is not None:
        changes["plaintext_secrets"] = args.plaintext_secrets
    if args.port:
        listeners = dict(config.listeners)
        for service, port in args.port:
            listeners[service] = dataclasses.replace(listeners[service], port=port)
        changes["listeners"] = listeners
    return dataclasses.replace(config, **changes)


async def _serve(server: ReferenceServer, target_file: Path | None) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:
            running: RunningServer = await nursery.start(server.run)
            if target_file is not None:
                write_target(running.target(), target_file)
            _print_started(running, target_file)
            async for signum in signals:
                print(f"{signal.Signals(signum).name}: stopping", flush=True)
                break
            nursery.cancel_scope.cancel()


def _print_started(server: RunningServer, target_file: Path | None) -> None:
    config = server.config
    print(f"mailharness reference server {config.name!r}, data in {config.data_dir}")
    for bound in server.listeners.values():
        print(f"  {bound.service:<11} {_address(bound.host, bound.port):<24} {bound.tls.value}")
    for service, why in server.unavailable.items():
        print(f"  {service:<11} not served: {why}")
    accounts = [f"{a.user} / {a.password}" for a in config.accounts]
    shown = ", ".join(accounts[:ACCOUNTS_SHOWN])
    more = len(accounts) - ACCOUNTS_SHOWN
    print(f"accounts: {shown}" + (f" and {more} more (see the target file)" if more > 0 else ""))
    auth = server.context.auth  # CRAM-MD5 and APOP only with plaintext_secrets
    print(
        f"logins: SASL {' '.join(auth.all_mechanisms)}; APOP {'on' if auth.apop_enabled else 'off'}"
    )
    if target_file is not None:
        print(f"target file: {target_file}")
    print("ready; Ctrl-C to stop", flush=True)


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _first(exc: BaseException, kind: type[E]) -> E | None:
    """The first ``kind`` in ``exc`` or the exception groups it holds."""
    if isinstance(exc, kind):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _first(inner, kind)
            if found is not None:
                return found
    return None


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    if verbose:
        logging.getLogger("harness.server").setLevel(logging.INFO)
        logging.getLogger("harness.server.transcript").setLevel(logging.DEBUG)
