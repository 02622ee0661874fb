"""The scripts in docs/filing-rules.md compile and do what the text says they do."""

from __future__ import annotations

import re
from pathlib import Path

from harness.server.sieve import Envelope, compile_script

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "filing-rules.md"
SCRIPTS = re.findall(r"```sieve\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.DOTALL)


def filed(
    script: str, *fields: str, envelope: Envelope | None = None
) -> list[tuple[str, set[str]]]:
    raw = ("\r\n".join(fields) + "\r\n\r\nbody\r\n").encode()
    actions = compile_script(script).evaluate(raw, envelope)
    return [(delivery.mailbox, set(delivery.flags)) for delivery in actions.deliver_to]


def test_the_guide_has_its_six_examples_and_all_compile() -> None:
    assert len(SCRIPTS) == 6
    for script in SCRIPTS:
        compile_script(script)


def test_mailing_list_example() -> None:
    listed = "List-Id: Sieve discussion <ietf-mta-filters.imc.org>"
    assert filed(SCRIPTS[0], listed) == [("Lists/sieve", set())]
    assert filed(SCRIPTS[0], "List-Id: <other.example>") == [("INBOX", set())]


def test_boss_examples_flag_the_message() -> None:
    assert filed(SCRIPTS[1], "From: Boss <boss@example.com>") == [("INBOX", {"\\Flagged"})]
    assert filed(SCRIPTS[1], "From: peer@example.com") == [("INBOX", set())]
    assert filed(SCRIPTS[2], "From: peer@example.com") == [("Work", {"\\Flagged"})]


def test_spam_example_discards() -> None:
    assert filed(SCRIPTS[3], "X-Spam-Flag: YES") == []
    assert filed(SCRIPTS[3], "X-Spam-Flag: NO") == [("INBOX", set())]


def test_envelope_example_files_bcc_by_recipient() -> None:
    sales = Envelope("customer@example.org", "sales@example.com")
    assert filed(SCRIPTS[4], "To: someone@else.example", envelope=sales) == [("Sales", set())]


def test_size_and_subject_example() -> None:
    assert filed(SCRIPTS[5], "Subject: Your invoice 42") == [("Finance", set())]
    assert filed(SCRIPTS[5], "Subject: hello") == [("INBOX", set())]
