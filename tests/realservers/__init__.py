"""A private Dovecot + Postfix stack on loopback, for tests against real servers.

The stack's configuration and start/stop scripts live in
``examples/dovecot-postfix/`` (users can start the same stack by hand). The
ports are fixed there (10025 SMTP, 10587 submission, 10465 SMTPS, 10143/10993
IMAP/IMAPS, 10110/10995 POP3/POP3S, 10026 smtp-sink), so one stack is shared
by the whole test session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dovecot-postfix"
REQUIRED_BINARIES = ("dovecot", "postfix", "smtp-sink", "doveadm")


@dataclass(frozen=True)
class RealStack:
    root: Path
    host: str = "127.0.0.1"
    smtp: int = 10025
    submission: int = 10587
    smtps: int = 10465
    imap: int = 10143
    imaps: int = 10993
    pop3: int = 10110
    pop3s: int = 10995
    sink: int = 10026

    def doveadm(self, *args: str) -> str:
        conf = self.root / "dovecot" / "dovecot.conf"
        done = subprocess.run(
            ["doveadm", "-c", str(conf), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return done.stdout

    def empty_mailbox(self, user: str, mailbox: str = "INBOX") -> None:
        self.doveadm("expunge", "-u", user, "mailbox", mailbox, "all")


def why_unavailable() -> str | None:
    """None when the stack can run here, else the reason (shown as the skip reason)."""
    missing = [name for name in REQUIRED_BINARIES if shutil.which(name) is None]
    if missing:
        return f"real servers not installed (missing {', '.join(missing)}; .ci/run installs them)"
    if os.geteuid() != 0:
        return "the private Dovecot+Postfix stack must be started as root"
    return None


def _script(name: str, root: Path) -> None:
    # The daemons inherit stdout/stderr: send them to a file, never to a pipe
    # we wait on, or the call would never return.
    log = root / f"{name}.log"
    with log.open("ab") as out:
        done = subprocess.run(
            ["bash", str(EXAMPLE / name)],
            env={**os.environ, "ROOT": str(root)},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=120,
        )
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{log.read_text(errors='replace')}")


def start_stack(root: Path) -> RealStack:
    root.mkdir(parents=True, exist_ok=True)
    _script("start-all.sh", root)
    return RealStack(root=root)


def stop_stack(stack: RealStack) -> None:
    _script("stop-all.sh", stack.root)
