"""The steady profile against the reference server and against Dovecot + Postfix, side by side.

    .venv/bin/python -m benchmarks.bench_load_profiles [--duration 60s] [--out DIR]

Runs ``mailharness load loadtests/profiles/steady.toml`` twice, one target
after the other in the same run: the bundled reference server (started for
the run) and the private Dovecot + Postfix stack of examples/dovecot-postfix
(Postfix on 10025/10587 delivering over LMTP into Dovecot, IMAP 10143, POP3
10110; a stack already listening is used as it is, otherwise it is started
with ROOT=/tmp/l2-stack). Then ``mailharness compare`` puts the two load
reports side by side (BASE = reference, HEAD = Dovecot + Postfix) as text,
and writes compare.md and compare.html beside the runs.

Both runs use the accounts load85..load100 of the stack (kept out of other
tools' way); the reference server's own load accounts otherwise. Each run is
bounded by the profile (60 s of load, 30 s grace); the figures that matter
are printed last as ratios (Dovecot + Postfix / reference).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from harness.load.result import LoadResult, read_result

REPO = Path(__file__).resolve().parents[1]
STEADY = REPO / "loadtests" / "profiles" / "steady.toml"
STACK_START = REPO / "examples" / "dovecot-postfix" / "start-all.sh"
STACK_ROOT = "/tmp/l2-stack"
STACK_ACCOUNTS = range(85, 101)
STACK_SERVICES = {
    "smtp": (10025, "starttls"),
    "submission": (10587, "starttls"),
    "imap": (10143, "starttls"),
    "pop3": (10110, "starttls"),
}


def stack_target(path: Path) -> Path:
    lines = ['name = "dovecot-postfix"', 'host = "127.0.0.1"', "[tls]", "verify = false"]
    for name, (port, tls) in STACK_SERVICES.items():
        lines += [f"[{name}]", f"port = {port}", f'tls = "{tls}"']
    for n in STACK_ACCOUNTS:
        lines += ["[[accounts]]", f'user = "load{n}@example.test"', 'password = "pass"']
    path.write_text("\n".join(lines) + "\n")
    return path


def stack_is_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", STACK_SERVICES["imap"][0]), timeout=2):
            return True
    except OSError:
        return False


def ensure_stack() -> None:
    if stack_is_up():
        return
    env = {**os.environ, "ROOT": STACK_ROOT}
    subprocess.run(["bash", str(STACK_START)], env=env, check=True, timeout=120,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 30
    while not stack_is_up():
        if time.monotonic() > deadline:
            raise SystemExit("the Dovecot + Postfix stack did not start")
        time.sleep(0.2)


def load(target: str, out: Path, duration: str | None) -> LoadResult:
    command = [sys.executable, "-m", "harness.cli", "load", str(STEADY), "--target", target]
    command += ["--out", str(out), "--quiet"] + (["--duration", duration] if duration else [])
    done = subprocess.run(command, cwd=REPO, stdout=subprocess.DEVNULL, timeout=900, check=False)
    if not (out / "load.json").exists():
        raise SystemExit(f"no result from the run against {target} (exit {done.returncode})")
    return read_result(out / "load.json")


def compare(base: Path, head: Path) -> str:
    command = [sys.executable, "-m", "harness.cli", "compare", str(base), str(head)]
    for fmt in ("markdown", "html"):
        name = "compare.md" if fmt == "markdown" else "compare.html"
        subprocess.run([*command, "--format", fmt, "--out", str(base.parent / name)],
                       cwd=REPO, capture_output=True, timeout=120, check=False)  # fmt: skip
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", help="override the profile's 60 s (e.g. 20s)")
    parser.add_argument("--out", type=Path, help="where the runs go (default: a new folder)")
    args = parser.parse_args()
    out = args.out or REPO / "reports" / "runs" / time.strftime("bench-steady-%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    ensure_stack()
    results = {
        "reference": load("reference", out / "reference", args.duration),
        "dovecot-postfix": load(
            str(stack_target(out / "stack.toml")), out / "dovecot", args.duration
        ),
    }
    print(compare(out / "reference", out / "dovecot"))
    _print(results)
    print(f"runs, compare.md and compare.html: {out}")
    return 0


def _figures(result: LoadResult) -> dict[str, float | None]:
    data_end = result.command("SMTP DATA end")
    fetch = result.command("IMAP FETCH body")
    return {
        "messages/s": result.messages_per_s,
        "SMTP DATA end p95 (ms)": data_end.p95_ms if data_end else None,
        "IMAP FETCH body p95 (ms)": fetch.p95_ms if fetch else None,
        "delivery p50 (s)": result.delivery.latency_p50_s,
        "delivery p95 (s)": result.delivery.latency_p95_s,
        "lost+duplicated+corrupted": float(
            result.delivery.lost + result.delivery.duplicated + result.delivery.corrupted
        ),
    }


def _print(results: dict[str, LoadResult]) -> None:
    reference, stack = (_figures(r) for r in results.values())
    print(f"{'steady':<28}{'reference':>12}{'dovecot+postfix':>18}{'ratio':>8}")
    for name, value in reference.items():
        other = stack[name]
        ratio = f"{other / value:.2f}" if value and other is not None else "-"
        print(f"{name:<28}{_shown(value):>12}{_shown(other):>18}{ratio:>8}")


def _shown(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


if __name__ == "__main__":
    sys.exit(main())
