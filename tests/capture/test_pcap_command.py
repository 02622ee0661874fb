"""`mailharness pcap` on synthesized captures: output, files, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from harness.conformance.parser import parse_script
from tests.capture.synth import conversation_pcap
from tests.capture.test_decode import SMTP_OK


def test_prints_transcripts_and_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pcap = conversation_pcap(tmp_path / "x.pcap", SMTP_OK, 2525)
    assert main(["pcap", str(pcap)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(
        "# connection 1 service smtp client 10.0.0.1:40000 server 10.0.0.2:2525\n"
    )
    assert "C: EHLO client.example\n" in out
    assert err.strip() == "x.pcap: 14 packets, 1 mail conversation (smtp 1), 0 violations"


def test_port_option_decides_the_protocol(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pcap = conversation_pcap(
        tmp_path / "x.pcap", [("C", b"a1 NOOP\r\n"), ("S", b"a1 OK\r\n")], 7777
    )
    assert main(["pcap", str(pcap)]) == 1
    assert (
        "no SMTP, POP3 or IMAP conversation found among 1 TCP connection "
        in capsys.readouterr().err
    )
    assert main(["pcap", str(pcap), "--port", "imap=7777"]) == 0
    assert "service imap" in capsys.readouterr().out


def test_as_script_to_stdout_parses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pcap = conversation_pcap(tmp_path / "x.pcap", SMTP_OK)
    assert main(["pcap", str(pcap), "--as-script"]) == 0
    script = parse_script(capsys.readouterr().out, "x.mhs")
    assert script.header.protocol.value == "smtp" and len(script.steps) > 5


def test_out_writes_one_file_per_conversation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pcap = conversation_pcap(tmp_path / "x.pcap", SMTP_OK)
    assert main(["pcap", str(pcap), "--out", str(tmp_path / "out")]) == 0
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["x-1-smtp.txt"]
    assert "wrote 1 file to" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"From: not a capture\r\n", "not a pcap or pcapng file"),
        (
            bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"),
            "no TCP streams found (0 packets)",
        ),
    ],
)
def test_clear_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    path = tmp_path / "input.pcap"
    if content is not None:
        path.write_bytes(content)
    assert main(["pcap", str(path)]) in (1, 2)
    assert message in capsys.readouterr().err


def test_bad_port_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["pcap", "x.pcap", "--port", "smtp=99999"])
    assert exit_info.value.code == 2
    assert "port must be 1..65535" in capsys.readouterr().err
