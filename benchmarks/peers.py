"""The peers the server benchmarks put side by side, and how to watch them.

* ``reference_server``: `mailharness serve` in a subprocess with a fresh data
  directory and a benchmark config (no TLS needed to log in, no delay after a
  failed login, a high per-address connection cap); its ports come from the
  target file it writes once every listener is bound.
* ``open_stack``: the private Dovecot + Postfix stack of
  examples/dovecot-postfix (fixed ports). A stack already running, whoever
  started it, is used as it is; otherwise it is started under ``root``.
* ``cpu_seconds`` / ``rss_bytes``: what a process has used, from /proc.
* ``print_table``: the aligned tables every benchmark prints.

Only loopback addresses are used, and every wait is bounded.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[1]
STACK_SCRIPTS = REPO / "examples" / "dovecot-postfix"
STACK_IMAP, STACK_SMTP = 10143, 10025
START_TIMEOUT = 60.0  # seconds for a server to bind its listeners
STOP_TIMEOUT = 30.0

# Accounts of the shared stack that benchmarks fill (and empty afterwards):
# within load50..load100, which are set aside for benchmarks, the ones other
# tools on this machine were not seen to use.
STACK_LOAD_USERS = tuple(f"load{n}@example.test" for n in range(77, 85))
STACK_PASSWORD = "pass"
REFERENCE_PASSWORD = "loadpw"  # the reference server's default load1..load40 accounts


# -- /proc ---------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    """Resident set size of a process, from /proc/PID/status (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise LookupError(f"no VmRSS for process {pid}")


def raise_nofile(limit: int) -> int:
    """Raise this process's open-file limit (soft and hard: needs root to pass
    the hard limit); returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < limit:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, max(hard, limit)))
        except (ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(limit, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {HOST}:{port} after {timeout} s")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the reference server shuts down gracefully), SIGKILL if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- the reference server ----------------------------------------------------


@dataclass
class ReferenceProcess:
    process: subprocess.Popen[bytes]
    ports: dict[str, int]  # service -> bound port
    data_dir: Path
    command: str  # how it was started, for the report

    @property
    def pid(self) -> int:
        return self.process.pid


def serve_command() -> list[str]:
    script = Path(sys.executable).with_name("mailharness")
    if script.exists():
        return [str(script), "serve"]
    return [sys.executable, "-m", "harness.cli", "serve"]


def benchmark_config(max_connections_per_ip: int) -> str:
    """Plaintext logins allowed (loopback benchmark), no failure delay."""
    return (
        'name = "bench"\n'
        "require_tls_for_auth = false\n"
        "[limits]\n"
        f"max_connections_per_ip = {max_connections_per_ip}\n"
        "auth_failure_delay = 0.0\n"
    )


@contextmanager
def reference_server(
    workdir: Path, *, max_connections_per_ip: int = 1000, nofile: int | None = None
) -> Iterator[ReferenceProcess]:
    """`mailharness serve` with a fresh data dir under ``workdir``, until the block ends."""
    workdir.mkdir(parents=True, exist_ok=True)
    config, target, data_dir = workdir / "server.toml", workdir / "target.toml", workdir / "data"
    config.write_text(benchmark_config(max_connections_per_ip))
    command = [*serve_command(), "--config", str(config), "--data-dir", str(data_dir)]
    command += ["--write-target", str(target)]
    with (workdir / "serve.log").open("ab") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=(lambda: raise_nofile(nofile)) if nofile else None,
        )
    try:
        ports = _wait_for_target(target, process)
        yield ReferenceProcess(process, ports, data_dir, " ".join(command))
    finally:
        stop_process(process)


def _wait_for_target(target: Path, process: subprocess.Popen[bytes]) -> dict[str, int]:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mailharness serve exited with {process.returncode}")
        if target.exists() and target.stat().st_size:
            data = tomllib.loads(target.read_text())
            return {name: table["port"] for name, table in data.items() if "port" in table}
        time.sleep(0.05)
    raise TimeoutError(f"mailharness serve wrote no target file in {START_TIMEOUT} s")


# -- the Dovecot + Postfix stack ----------------------------------------------


@dataclass(frozen=True)
class MailStack:
    root: Path  # holds dovecot/dovecot.conf and postfix/etc
    started_here: bool

    @property
    def dovecot_conf(self) -> Path:
        return self.root / "dovecot" / "dovecot.conf"

    def doveadm(self, *args: str) -> str:
        done = subprocess.run(
            ["doveadm", "-c", str(self.dovecot_conf), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout

    def empty_inbox(self, user: str) -> None:
        self.doveadm("expunge", "-u", user, "mailbox", "INBOX", "all")

    def queue_is_empty(self) -> bool:
        done = subprocess.run(
            ["postqueue", "-c", str(self.root / "postfix" / "etc"), "-p"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return "Mail queue is empty" in done.stdout


def stack_unavailable() -> str | None:
    """Why the stack cannot run here, or None."""
    missing = [n for n in ("dovecot", "postfix", "doveadm", "smtp-source") if not shutil.which(n)]
    if missing:
        return f"not installed: {', '.join(missing)}"
    if os.geteuid() != 0 and not _listening(STACK_IMAP):
        return "the Dovecot + Postfix stack must be started as root"
    return None


def open_stack(root: Path) -> MailStack:
    """The running stack (whoever started it), or one started under ``root``."""
    if _listening(STACK_IMAP) and _listening(STACK_SMTP):
        running = _running_stack_root()
        if running is not None:
            return MailStack(running, started_here=False)
    root.mkdir(parents=True, exist_ok=True)
    with (root / "start-all.log").open("ab") as log:
        subprocess.run(
            ["bash", str(STACK_SCRIPTS / "start-all.sh")],
            env={**os.environ, "ROOT": str(root)},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=120,
            check=True,
        )
    running = _running_stack_root()
    if running is None:
        raise RuntimeError(f"the stack did not start (see {root / 'start-all.log'})")
    return MailStack(running, started_here=running == root)


def _listening(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=1).close()
        return True
    except OSError:
        return False


def _running_stack_root() -> Path | None:
    """The ROOT of the running stack, from its Dovecot master's ``-c`` argument."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if not argv[0].endswith(b"dovecot") or b"-c" not in argv[:-1]:
            continue
        conf = Path(argv[argv.index(b"-c") + 1].decode())
        if conf.name == "dovecot.conf" and f"port = {STACK_IMAP}" in _read(conf):
            return conf.parent.parent
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


# -- output ---------------------------------------------------------------------


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """The first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        first = row[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))
        print("  ".join([first, *rest]).rstrip())


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.0f}"
    return str(value)


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def machine_note() -> str:
    """Cores and load average: figures from a busy shared machine are noisy."""
    load = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
