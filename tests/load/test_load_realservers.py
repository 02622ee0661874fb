"""The same load against a real Dovecot + Postfix stack (Postfix delivers over LMTP
into Dovecot): percentiles, delivery latency, a clean integrity count."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.load.conftest import TINY, run_load_cli
from tests.load.test_load_runs import assert_clean_delivery, assert_percentiles
from tests.realservers import RealStack

pytestmark = pytest.mark.realserver


def write_stack_target(stack: RealStack, path: Path) -> Path:
    services = {
        "smtp": (stack.smtp, "starttls"),
        "submission": (stack.submission, "starttls"),
        "imap": (stack.imap, "starttls"),
        "imaps": (stack.imaps, "implicit"),
        "pop3": (stack.pop3, "starttls"),
    }
    lines = ['name = "dovecot-postfix"', f'host = "{stack.host}"', "[tls]", "verify = false"]
    for name, (port, tls) in services.items():
        lines += [f"[{name}]", f"port = {port}", f'tls = "{tls}"']
    for n in range(1, 101):
        lines += ["[[accounts]]", f'user = "load{n}@example.test"', 'password = "pass"']
    path.write_text("\n".join(lines) + "\n")
    return path


def test_tiny_profile_against_dovecot_and_postfix(real_stack: RealStack, tmp_path: Path) -> None:
    # no mailbox emptying: readers and the sweep skip what other runs left behind
    target = write_stack_target(real_stack, tmp_path / "stack.toml")
    outcome = run_load_cli(str(TINY), "--target", str(target), out_dir=tmp_path / "run")
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    result = outcome.result
    assert result.target == "dovecot-postfix" and result.complete
    assert_percentiles(result)
    assert_clean_delivery(result)
    auth = result.command("SMTP AUTH")
    assert auth is not None and auth.failures == 0
