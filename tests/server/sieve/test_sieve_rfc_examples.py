"""The examples of RFC 5228 (§3, §4, §5, §9) that fall within the subset, run end to end.

§9.3 and the multi-line example of §2.4.2 use "reject", which is outside the
subset; their reject-free parts are covered here.
"""

from __future__ import annotations

import pytest

from harness.server.sieve import Envelope, compile_script

# RFC 5228 §9.1, "Example with No Extensions".
NO_EXTENSIONS = """\
/*
 * Example Sieve Filter
 * Declare any optional features or extension used by the script
 */
if anyof (not exists ["From", "Date"],
          header :contains "from" "fool@example.com") {
    discard;
}
"""

# RFC 5228 §9.2, the example with "fileinto" (and upper-case tags).
WITH_FILEINTO = """\
#
# Example Sieve Filter
# Declare any optional features or extension used by the script
#
require ["fileinto"];

#
# Handle messages from known mailing lists
# Move messages from IETF filter discussion list to filter mailbox
#
if header :is "Sender" "owner-ietf-mta-filters@imc.org"
        {
        fileinto "filter";  # move to "filter" mailbox
        }
#
# Keep all messages to or from people in my company
#
elsif address :DOMAIN :is ["From", "To"] "example.com"
        {
        keep;               # keep in "In" mailbox
        }

#
# Try and catch unsolicited email.  If a message is not to me,
# or it contains a subject known to be spam, file it away.
#
elsif anyof (NOT address :all :contains
               ["To", "Cc", "Bcc"] "me@example.com",
             header :matches "subject"
               ["*make*money*fast*", "*university*dipl*mas*"])
        {
        fileinto "spam";   # move to "spam" mailbox
        }
else
        {
        # Move all other (non-company) mail to "personal"
        # mailbox.
        fileinto "personal";
        }
"""


def message(*fields: str) -> bytes:
    return ("\r\n".join(fields) + "\r\n\r\nbody\r\n").encode()


def filed(script: str, raw: bytes, envelope: Envelope | None = None) -> list[str]:
    return [d.mailbox for d in compile_script(script).evaluate(raw, envelope).deliver_to]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (("From: friend@example.org", "Date: Mon, 1 Jan 2024 00:00:00 +0000"), ["INBOX"]),
        (("From: friend@example.org",), []),  # no Date
        (("Date: Mon, 1 Jan 2024 00:00:00 +0000",), []),  # no From
        (("From: Fool <FOOL@example.com>", "Date: Mon, 1 Jan 2024 00:00:00 +0000"), []),
    ],
)
def test_section_9_1_no_extensions(fields: tuple[str, ...], expected: list[str]) -> None:
    assert filed(NO_EXTENSIONS, message(*fields)) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (("Sender: owner-ietf-mta-filters@imc.org", "To: me@example.com"), ["filter"]),
        (("From: colleague@example.com", "To: someone@else.example"), ["INBOX"]),
        (("From: stranger@elsewhere.example", "To: list@elsewhere.example"), ["spam"]),
        (("From: a@b.example", "Bcc: me@example.com", "Subject: Make money fast!"), ["spam"]),
        (("From: a@b.example", "Cc: me@example.com", "Subject: University diplomas"), ["spam"]),
        (("From: a@b.example", "Cc: Me <me@example.com>", "Subject: lunch?"), ["personal"]),
        (("From: a@b.example", "To: Me <me@example.com>", "Subject: lunch?"), ["INBOX"]),
    ],
)
def test_section_9_2_with_fileinto(fields: tuple[str, ...], expected: list[str]) -> None:
    assert filed(WITH_FILEINTO, message(*fields)) == expected


# RFC 5228 §3.1 example of if/elsif/else.
IF_EXAMPLE = """\
require "fileinto";
if header :contains "from" "coyote" {
   discard;
} elsif header :contains ["subject"] ["$$$"] {
   discard;
} else {
   fileinto "INBOX";
}
"""


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (("From: Wile E. Coyote <coyote@desert.example.org>",), []),
        (("From: rr@desert.example.org", "Subject: $$$ for you"), []),
        (("From: rr@desert.example.org", "Subject: beep beep"), ["INBOX"]),
    ],
)
def test_section_3_1_if_example(fields: tuple[str, ...], expected: list[str]) -> None:
    assert filed(IF_EXAMPLE, message(*fields)) == expected


def test_section_4_1_fileinto_example() -> None:
    script = 'require "fileinto";\nif header :contains ["from"] "coyote" {\n   fileinto "INBOX.harassment";\n}'
    assert filed(script, message("From: coyote@example.org")) == ["INBOX.harassment"]
    assert filed(script, message("From: roadrunner@example.org")) == ["INBOX"]


def test_section_4_4_discard_example() -> None:
    script = 'if header :contains ["from"] ["idiot@example.com"] {\n   discard;\n}'
    assert filed(script, message("From: The Idiot <idiot@example.com>")) == []
    assert filed(script, message("From: genius@example.com")) == ["INBOX"]


def test_section_5_4_envelope_example() -> None:
    script = 'require "envelope";\nif envelope :all :is "from" "tim@example.com" {\n   discard;\n}'
    raw = message("From: someone-else@example.com")
    assert filed(script, raw, Envelope("tim@example.com", "me@example.org")) == []
    assert filed(script, raw, Envelope("other@example.com", "me@example.org")) == ["INBOX"]


def test_section_5_9_size_example_neither_over_nor_under() -> None:
    # "for a message that is exactly 4,000 octets, the message is neither
    # ":over" nor ":under" 4000 octets."
    script = compile_script(
        'require "fileinto";'
        'if size :over 4000 { fileinto "over"; } if size :under 4000 { fileinto "under"; }'
    )
    raw = message("Subject: x")
    assert [d.mailbox for d in script.evaluate(raw, size=4000).deliver_to] == ["INBOX"]
    assert [d.mailbox for d in script.evaluate(raw, size=4001).deliver_to] == ["over"]
    assert [d.mailbox for d in script.evaluate(raw, size=3999).deliver_to] == ["under"]


def test_section_2_3_comment_examples() -> None:
    # The two comment forms of §2.3 around one action each.
    script = """\
if size :over 100K { # this is a comment
   discard;
}
if size :over 100K { /* this is a comment
   this is still a comment */ discard /* this is a comment
   */ ;
}
"""
    assert filed(script, message("Subject: small")) == ["INBOX"]
    assert filed(script.replace("100K", "10"), message("Subject: small")) == []
