"""`mailharness pcap` on tcpdump captures of swaks and curl against real Dovecot+Postfix.

The captures are taken by tcpdump, of clients mailharness had no part in;
swaks and curl print their own view of each dialogue (swaks' "-> / <-"
lines, curl -v's "> / <" lines), which the decoded transcripts must match.
Each client uses a port chosen here, and the capture filters on those
ports, so traffic of other tests sharing the stack never mixes in.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from harness.capture import TcpdumpCapture
from harness.cli import main
from harness.conformance.parser import parse_script
from harness.transcript import Direction, parse_text
from tests.capture.conftest import needs_capture
from tests.realservers import RealStack

pytestmark = [
    pytest.mark.realserver,
    needs_capture("tcpdump"),
    pytest.mark.skipif(
        not (shutil.which("swaks") and shutil.which("curl")), reason="needs swaks and curl"
    ),
]
BODY = "hello from the capture test\n.a line starting with a dot\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_tool(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout + done.stderr


def tool_lines(output: str, client: str, server: str) -> list[tuple[Direction, str]]:
    """A tool's own transcript: (direction, line) for lines with the given prefixes."""
    lines = []
    for line in output.splitlines():
        if line.startswith(client):
            lines.append((Direction.CLIENT, line[len(client) :]))
        elif line.startswith(server):
            lines.append((Direction.SERVER, line[len(server) :]))
    return lines


def decoded_lines(text: str) -> list[tuple[Direction, str]]:
    lines = []
    for event in parse_text(text):
        for line in event.data.split(b"\r\n")[:-1] if event.data else []:
            lines.append((event.direction, line.decode()))
    return lines


def conversations(stdout: str) -> dict[int, str]:
    """The printed transcripts, by client port."""
    found = {}
    for block in stdout.split("\n# connection ")[0:]:
        head = block.split("\n", 1)[0]
        port = int(head.split(" client 127.0.0.1:")[1].split()[0])
        found[port] = block if block.startswith("#") else "# connection " + block
    return found


@pytest.fixture(scope="module")
def mail_pcap(
    real_stack: RealStack, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, str], dict[str, int]]:
    """One capture for the module: swaks plain and with STARTTLS, curl IMAP and POP3."""
    tmp_path = tmp_path_factory.mktemp("pcap-real")
    ports = {name: free_port() for name in ("swaks", "swaks_tls", "imap", "pop3")}
    pcap = tmp_path / "mail.pcap"
    smtp = f"{real_stack.host}:{real_stack.smtp}"
    swaks = ["swaks", "--server", smtp, "--to", "nobody@discard.test"]
    swaks += ["--from", "alice@example.test", "--helo", "capture.test", "--body", BODY]
    account = "alice@example.test:alicepw"
    outputs = {}
    with TcpdumpCapture(pcap, ports=ports.values()):
        outputs["swaks"] = run_tool([*swaks, "--local-port", str(ports["swaks"])])
        outputs["swaks_tls"] = run_tool([*swaks, "--tls", "--local-port", str(ports["swaks_tls"])])
        imap = f"imap://{real_stack.host}:{real_stack.imap}/INBOX"
        outputs["imap"] = run_tool(
            [
                "curl",
                "-sv",
                "--local-port",
                str(ports["imap"]),
                imap,
                "-u",
                account,
                "-X",
                "EXAMINE INBOX",
            ]
        )
        pop3 = f"pop3://{real_stack.host}:{real_stack.pop3}/"
        outputs["pop3"] = run_tool(
            ["curl", "-sv", "--local-port", str(ports["pop3"]), pop3, "-u", account]
        )
    return pcap, outputs, ports


def test_pcap_prints_what_swaks_and_curl_saw(
    mail_pcap: tuple[Path, dict[str, str], dict[str, int]], capsys: pytest.CaptureFixture[str]
) -> None:
    pcap, outputs, ports = mail_pcap
    assert main(["pcap", str(pcap), "--port", "smtp=10025"]) == 0
    captured = capsys.readouterr()
    assert (
        "4 mail conversations (imap 1, pop3 1, smtp 2), 0 violations, 1 encrypted" in captured.err
    )
    assert "# !!" not in captured.out
    texts = conversations(captured.out)
    # swaks shows every line both ways: the transcript must be exactly that
    plain = tool_lines(outputs["swaks"], " -> ", "<-  ")
    assert decoded_lines(texts[ports["swaks"]]) == plain
    assert (Direction.CLIENT, "..a line starting with a dot") in plain  # dot-stuffed on the wire
    before_tls = outputs["swaks_tls"].split("=== TLS started")[0]
    assert decoded_lines(texts[ports["swaks_tls"]]) == tool_lines(before_tls, " -> ", "<-  ")
    assert "starttls\n# -- TLS handshake after STARTTLS/STLS" in texts[ports["swaks_tls"]]
    # curl -v shows the commands but its closing LOGOUT/QUIT, and the status
    # lines (bodies go to stdout)
    for name, farewell in (("imap", "A005 LOGOUT"), ("pop3", "QUIT")):
        ours = decoded_lines(texts[ports[name]])
        theirs = tool_lines(outputs[name], "> ", "< ")
        sent = [line for line in theirs if line[0] is Direction.CLIENT]
        assert [line for line in ours if line[0] is Direction.CLIENT] == [
            *sent,
            (Direction.CLIENT, farewell),
        ]
        assert is_subsequence(theirs, ours), name


def is_subsequence(part: list[tuple[Direction, str]], whole: list[tuple[Direction, str]]) -> bool:
    remaining = iter(whole)
    return all(any(item == candidate for candidate in remaining) for item in part)


def test_pcap_as_script_writes_scripts_that_parse(
    mail_pcap: tuple[Path, dict[str, str], dict[str, int]], tmp_path: Path
) -> None:
    pcap, _, _ = mail_pcap
    out = tmp_path / "scripts"
    assert main(["pcap", str(pcap), "--as-script", "--out", str(out)]) == 0
    scripts = sorted(out.glob("*.mhs"))
    assert len(scripts) == 4
    for path in scripts:
        script = parse_script(path.read_text(encoding="utf-8"), str(path))
        assert script.header.id.endswith(f"/connection-{path.stem.split('-')[1]}")
        assert script.steps, path
