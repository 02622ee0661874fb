"""The real stack itself works: a message sent through Postfix lands in Dovecot.

This guards every realserver test: if it fails, the stack (not mailharness) is broken.
"""

from __future__ import annotations

import imaplib
import smtplib
import ssl
import time
import uuid

import pytest

from tests.realservers import RealStack

pytestmark = pytest.mark.realserver


def test_postfix_delivers_into_dovecot(real_stack: RealStack) -> None:
    marker = uuid.uuid4().hex
    with smtplib.SMTP(real_stack.host, real_stack.smtp, timeout=10) as smtp:
        smtp.sendmail(
            "bob@example.test",
            ["alice@example.test"],
            f"Subject: stack check {marker}\r\n\r\nhello\r\n",
        )
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with imaplib.IMAP4(real_stack.host, real_stack.imap, timeout=10) as imap:
        imap.starttls(ssl_context=context)
        imap.login("alice@example.test", "alicepw")
        imap.select("INBOX")
        deadline = time.monotonic() + 15
        found: list[bytes] = [b""]
        while time.monotonic() < deadline:
            _, found = imap.search(None, "SUBJECT", marker)
            if found[0]:
                break
            time.sleep(0.1)
        assert found[0], "the message did not reach Dovecot within 15 s"
