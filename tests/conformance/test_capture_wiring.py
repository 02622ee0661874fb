"""``--capture`` on a conformance run: a pcap per case that tshark reads (and decrypts), and
a report that says whether each trace is complete and what the run lost.

The runs go against the reference server with a two-case suite: SMTP in
plaintext, and IMAP over implicit TLS (imaps) whose commands tshark must
read out of the case's pcap with the case's key log, and not without it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.report import CaptureInfo, read_report
from tests.capture.conftest import needs_capture, needs_tshark

PLAIN_SMTP = """\
+++
id = "SMTP-NOOP/captured"
title = "NOOP, captured"
rfc = "RFC 5321"
section = "4.1.1.9"
level = "MUST"
protocol = "smtp"
service = "smtp"
+++
C: NOOP
S: 250 ${*}
C: QUIT
S: 221 ${*}
expect close
"""

IMAPS_NOOP = """\
+++
id = "IMAP-NOOP/imaps-captured"
title = "NOOP over implicit TLS, captured"
rfc = "RFC 3501"
section = "6.1.2"
level = "MUST"
protocol = "imap"
service = "imaps"
state = "authenticated"
+++
C: a1 NOOP
S: a1 OK${*}
C: a2 LOGOUT
S: * BYE${*}
S: a2 OK${*}
expect close
"""


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    root = tmp_path / "suites"
    (root / "smtp" / "connection").mkdir(parents=True)
    (root / "imap" / "any-state").mkdir(parents=True)
    (root / "smtp" / "connection" / "noop-captured.mhs").write_text(PLAIN_SMTP)
    (root / "imap" / "any-state" / "imaps-noop-captured.mhs").write_text(IMAPS_NOOP)
    return root


def conform(suite: Path, out: Path, *options: str) -> dict[str, Any]:
    status = main(["conform", "--suite", str(suite), "--out", str(out), "--quiet", *options])
    assert status == 0
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    return report


def tshark(*arguments: str) -> str:
    tshark = shutil.which("tshark")
    assert tshark is not None
    done = subprocess.run(
        [tshark, *arguments], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


@needs_capture("scapy")
@needs_tshark
def test_every_case_gets_a_transcript_and_a_pcap_tshark_reads_and_decrypts(
    suite: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    report = conform(suite, out, "--capture", "scapy")
    cases = {case["id"]: case for case in report["cases"]}
    for case in cases.values():
        assert case["verdict"] == "passed", case["reason"]
        assert case["transcript"]
        assert case["capture_complete"] is True
        frames = tshark("-r", str(out / case["pcap"]), "-T", "fields", "-e", "frame.number")
        assert len(frames.split()) >= 6  # at least a handshake, data and a close
    imaps = cases["IMAP-NOOP/imaps-captured"]
    assert cases["SMTP-NOOP/captured"]["keylog"] is None  # no TLS, no key log
    port = report["meta"]["target"]["ports"]["imaps"]
    pcap, keylog = out / imaps["pcap"], out / imaps["keylog"]
    assert keylog == pcap.with_suffix(".keys")
    decode = ["-r", str(pcap), "-d", f"tcp.port=={port},imap", "-Y", "imap"]
    requests = ["-T", "fields", "-e", "imap.request"]
    decrypted = tshark(*decode, "-o", f"tls.keylog_file:{keylog}", *requests)
    assert "a1 NOOP" in decrypted.splitlines()
    assert "a1 NOOP" not in tshark(*decode, *requests)  # encrypted without the key log
    capture = report["meta"]["capture"]
    assert capture["backend"] == "scapy" and capture["pcap"] == "pcaps/_run.pcap"
    assert capture["connections"] == capture["complete_connections"] >= 2
    assert capture["missing_octets"] == 0 and capture["loss"] == 0.0
    assert capture["expected_octets"] > 0
    assert read_report(out / "report.json").meta.capture == read_report_capture(report)
    html = (out / "index.html").read_text()
    assert "2 of 2 cases have a packet trace; 2 complete" in html
    assert "run: scapy: " in html and "(0.00% loss)" in html


def read_report_capture(report: dict[str, Any]) -> CaptureInfo:
    fields = {key: value for key, value in report["meta"]["capture"].items() if key != "loss"}
    return CaptureInfo(**fields)


def test_capture_off_writes_no_pcap_and_says_so_in_the_report(suite: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    report = conform(suite, out, "--capture", "off")
    assert not (out / "pcaps").exists()
    assert all(case["pcap"] is None and case["keylog"] is None for case in report["cases"])
    assert all(case["capture_complete"] is None for case in report["cases"])
    assert report["meta"]["capture"]["backend"] is None
    assert report["meta"]["capture"]["reason"] == "capture is off (--capture off)"


def without_net_raw() -> list[str]:
    """A command prefix that runs without CAP_NET_RAW (root keeps its other rights)."""
    if os.geteuid() != 0:
        return []  # already without the right to capture
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv is not on PATH: cannot drop CAP_NET_RAW as root")
    return [setpriv, "--inh-caps=-net_raw", "--bounding-set=-net_raw", "--"]


def test_auto_without_the_right_to_capture_says_why_once_and_runs(
    suite: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    command = [sys.executable, "-c", "from harness.cli import main; raise SystemExit(main())"]
    arguments = ["conform", "--suite", str(suite), "--out", str(out), "--quiet"]
    done = subprocess.run(
        [*without_net_raw(), *command, *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    notes = [line for line in done.stderr.splitlines() if line.startswith("capture:")]
    assert len(notes) == 1 and "CAP_NET_RAW" in notes[0], done.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["meta"]["capture"]["backend"] is None
    assert "CAP_NET_RAW" in report["meta"]["capture"]["reason"]
    assert all(case["verdict"] == "passed" for case in report["cases"])
    assert "no packet capture in this run: packet capture needs" in (out / "index.html").read_text()


@needs_capture("scapy")
def test_a_named_backend_that_cannot_run_is_a_usage_error(
    suite: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no tcpdump to be found
    status = main(
        ["conform", "--suite", str(suite), "--out", str(tmp_path / "run"), "--capture", "tcpdump"]
    )
    assert status == 2
    assert (
        "--capture tcpdump is not possible here: tcpdump is not on PATH" in capsys.readouterr().err
    )
