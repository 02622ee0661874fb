"""Usage errors end a load run before anything starts, with exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.load.conftest import LOSSY, TINY, run_load_cli

SMTP_POP3_ONLY = """\
name = "small"
host = "{host}"
[smtp]
port = 2525
tls = "none"
[pop3]
port = 1110
tls = "none"
[[accounts]]
user = "load1@small.test"
password = "pw"
"""


def target_file(tmp_path: Path, host: str = "127.0.0.1") -> Path:
    path = tmp_path / "target.toml"
    path.write_text(SMTP_POP3_ONLY.format(host=host))
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((str(TINY), "--target", "{target}"), "no [submission] service"),
        ((str(LOSSY), "--target", "{remote}"), "not loopback; pass --allow-remote"),
        (("missing.toml",), "cannot read profile"),
        ((str(TINY), "--duration", "1h"), "passes the profile's max_duration"),
        ((str(LOSSY), "--worker", "--target", "reference"), "needs the master's target file"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    local = tmp_path / "local"
    remote = tmp_path / "remote"
    local.mkdir()
    remote.mkdir()
    paths = {"target": str(target_file(local)), "remote": str(target_file(remote, "192.0.2.1"))}
    outcome = run_load_cli(
        *(arg.format(**paths) for arg in args), out_dir=tmp_path / "run", timeout=60
    )
    assert outcome.exit_code == 2, outcome.stdout + outcome.stderr
    assert message in outcome.stderr
