"""Every test of the subset (RFC 5228 §5, RFC 5232 §4) run on real message bytes."""

from __future__ import annotations

import pytest

from harness.server.sieve import Envelope, compile_script

PREAMBLE = 'require ["envelope", "imap4flags"];\n'


def message(*fields: str, body: str = "Hello.\r\n") -> bytes:
    return ("\r\n".join(fields) + "\r\n\r\n" + body).encode("utf-8")


def holds(test: str, raw: bytes, envelope: Envelope | None = None, size: int | None = None) -> bool:
    """Whether ``test`` is true for the message: it files into "T" when it is."""
    script = compile_script(f'{PREAMBLE}require "fileinto";\nif {test} {{ fileinto "T"; }}')
    actions = script.evaluate(raw, envelope, size=size)
    return [d.mailbox for d in actions.deliver_to] == ["T"]


SIMPLE = message(
    "From: Tim Showalter <tjs@example.edu>",
    "To: Sieve Group <ietf-mta-filters@imc.org>",
    "Subject: I have a Proposal",
    "X-Caffeine: C8H10N4O2",
)

# ---- header (RFC 5228 §5.7) with the three match types (§2.7.1)


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        ('header :is "subject" "I have a Proposal"', True),
        ('header :is "subject" "i HAVE a proposal"', True),  # i;ascii-casemap default
        ('header :is "subject" "I have a"', False),
        ('header :contains "Subject" "proposal"', True),
        ('header :contains "Subject" "proposals"', False),
        ('header :matches "subject" "I*Proposal"', True),
        ('header :matches "subject" "I*Proposal?"', False),
        ('header :matches "subject" "?*"', True),
        ('header :matches "subject" "Proposal"', False),  # anchored at both ends
        ('header :comparator "i;octet" :is "subject" "i have a proposal"', False),
        ('header :comparator "i;octet" :is "subject" "I have a Proposal"', True),
        ('header :comparator "i;octet" :contains "subject" "Prop"', True),
        ('header :comparator "i;octet" :contains "subject" "prop"', False),
        ('header :comparator "i;octet" :matches "subject" "*prop*"', False),
        ('header :contains ["To", "Subject"] ["nothing", "imc.org"]', True),
        ('header :contains ["Cc", "Bcc"] "imc.org"', False),
        ('header :is "x-missing" ""', False),
        ('header :contains "x-missing" ""', False),
    ],
)
def test_header_match_types_and_comparators(test: str, expected: bool) -> None:
    assert holds(test, SIMPLE) is expected


def test_x_caffeine_example_of_rfc5228_section_5_7() -> None:
    # "header :is ["X-Caffeine"] [""] => false; header :contains ["X-Caffeine"] [""] => true"
    assert holds('header :is ["X-Caffeine"] [""]', SIMPLE) is False
    assert holds('header :contains ["X-Caffeine"] [""]', SIMPLE) is True


def test_absent_or_blank_header_idiom_of_rfc5228_section_5_7() -> None:
    test = 'not header :matches "Cc" "?*"'
    assert holds(test, SIMPLE) is True
    assert holds(test, message("Cc:   ")) is True
    assert holds(test, message("Cc: someone@example.com")) is False


def test_header_value_is_unfolded_and_trimmed() -> None:
    raw = message("Subject:   a long\r\n\tfolded subject   ")
    assert holds('header :is "subject" "a long\tfolded subject"', raw)


def test_every_occurrence_of_a_header_is_tested() -> None:
    raw = message("Received: from a", "Received: from b")
    assert holds('header :is "received" "from b"', raw)


@pytest.mark.parametrize(
    ("field", "key"),
    [
        ("Subject: =?UTF-8?Q?caf=C3=A9_au_lait?=", "café au lait"),
        ("Subject: =?utf-8?B?8J+Ssw==?= money", "💳 money"),
        ("Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= aus =?iso-8859-1?q?K=F6ln?=", "Grüße aus Köln"),
        ("Subject: =?utf-8?q?split_?=\r\n =?utf-8?q?word?=", "split word"),
        ("Subject: raw UTF-8 caf\u00e9", "raw UTF-8 café"),
    ],
)
def test_header_is_compared_after_rfc2047_decoding(field: str, key: str) -> None:
    assert holds(f'header :is "subject" "{key}"', message(field))


def test_encoded_word_is_not_matched_as_its_raw_text() -> None:
    raw = message("Subject: =?UTF-8?Q?invoice?=")
    assert holds('header :contains "subject" "?Q?"', raw) is False
    assert holds('header :is "subject" "invoice"', raw)


def test_ascii_casemap_folds_only_ascii_letters() -> None:
    raw = message("Subject: =?UTF-8?Q?CAF=C3=89?=")
    assert holds('header :is "subject" "café"', raw) is False  # É is not A-Z
    assert holds('header :is "subject" "cafÉ"', raw) is True


# ---- :matches wildcards and escapes (RFC 5228 §2.7.1)


@pytest.mark.parametrize(
    ("subject", "pattern", "expected"),
    [
        ("invoice 42", "*inv?ice*", True),
        ("Invoice", "inv?ice", True),
        ("", "*", True),
        ("", "?", False),
        ("abc", "a*c", True),
        ("abc", "a*b", False),
        ("a*c", "a\\\\*c", True),  # the script's "\\*" is the key \* : a literal star
        ("abc", "a\\\\*c", False),
        ("why?", "why\\\\?", True),
        ("why!", "why\\\\?", False),
        ("back\\slash", "back\\\\\\\\slash", True),  # \\\\ in the script: one literal backslash
        ("café", "caf?", False),  # é is two octets; "?" is one (RFC 4790 octet comparators)
        ("café", "caf??", True),
        ("café", "caf*", True),
    ],
)
def test_matches_wildcards(subject: str, pattern: str, expected: bool) -> None:
    raw = message(f"Subject: {subject}")
    assert holds(f'header :matches "subject" "{pattern}"', raw) is expected


def test_matches_does_not_backtrack_exponentially() -> None:
    raw = message("Subject: " + "a" * 900)
    assert holds('header :matches "subject" "*a*a*a*a*a*a*a*a*a*a*b"', raw) is False


# ---- address (RFC 5228 §5.1, §2.7.4)

ADDRESSED = message(
    'From: "Coyote, Wile E." <Wile.Coyote@Acme.example.com> (the genius)',
    "To: undisclosed-recipients:;",
    "Cc: roadrunner@desert.example, Friends: a@one.example, b@two.example;",
    "Sender: =?utf-8?q?Ren=C3=A9?= <rene@example.org>",
    "Resent-From: resender@example.net",
    "Resent-To: nodomain",
    "Bcc: <hidden@example.com>",
)


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        ('address :is "from" "wile.coyote@acme.example.com"', True),
        ('address :all :is "from" "Wile.Coyote@Acme.example.com"', True),
        ('address :localpart :is "from" "wile.coyote"', True),
        ('address :domain :is "from" "acme.example.com"', True),
        ('address :domain :is "from" "example.com"', False),
        ('address :domain :matches "from" "*.example.com"', True),
        ('address :contains "from" "genius"', False),  # comments are not compared
        ('address :contains "from" "Coyote, Wile"', False),  # nor display names
        ('address :is "to" ""', False),  # an empty group holds no address
        ('address :domain :is "cc" "two.example"', True),  # group members count
        ('address :localpart :is "cc" "roadrunner"', True),
        ('address :is "cc" "friends"', False),  # the group name is no address
        ('address :is "sender" "rene@example.org"', True),
        ('address :domain :is "resent-from" "example.net"', True),
        ('address :all :is "resent-to" "nodomain"', True),
        ('address :localpart :is "resent-to" "nodomain"', False),  # not a valid address
        ('address :domain :is "resent-to" ""', False),
        ('address :is "bcc" "hidden@example.com"', True),
        ('address :is ["to", "bcc"] ["x@y", "hidden@example.com"]', True),
        ('address :is "reply-to" "anything"', False),  # absent
        ('address :comparator "i;octet" :localpart :is "from" "wile.coyote"', False),
    ],
)
def test_address_parts(test: str, expected: bool) -> None:
    assert holds(test, ADDRESSED) is expected


@pytest.mark.parametrize(
    ("field", "test", "expected"),
    [
        # Each field makes the standard library's modern address parser raise.
        (b"From: )=,\t.b) \xc3B(Qb.?=", 'address :all :is "from" ".b"', True),
        (b"From: a8=:\xa9a B;=cb\xa9.:b,,=", 'address :all :is "from" "\ufffda"', True),
        (b"From: <", 'address :all :matches "from" "*"', False),
    ],
)
def test_broken_address_field_gets_a_best_effort_reading(
    field: bytes, test: str, expected: bool
) -> None:
    assert holds(test, field + b"\r\n\r\nbody") is expected


# ---- envelope (RFC 5228 §5.4)

ENVELOPE = Envelope(mail_from="Bounce+123@Lists.example.org", rcpt_to="alias@example.com")


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        ('envelope :is "to" "alias@example.com"', True),
        ('envelope :is "from" "bounce+123@lists.example.org"', True),
        ('envelope :domain :is "from" "lists.example.org"', True),
        ('envelope :localpart :matches "from" "bounce+*"', True),
        ('envelope :is "to" "tjs@example.edu"', False),  # the header To is not the envelope
        ('envelope :is ["FROM", "To"] "alias@example.com"', True),
        ('envelope :comparator "i;octet" :domain :is "from" "lists.example.org"', False),
    ],
)
def test_envelope_parts(test: str, expected: bool) -> None:
    assert holds(test, SIMPLE, ENVELOPE) is expected


@pytest.mark.parametrize("part", [":all", ":localpart", ":domain"])
def test_null_sender_is_the_empty_string_for_every_address_part(part: str) -> None:
    null = Envelope(mail_from="", rcpt_to="me@example.com")
    assert holds(f'envelope {part} :is "from" ""', SIMPLE, null)
    assert holds(f'envelope {part} :is "from" "x"', SIMPLE, null) is False


def test_envelope_brackets_and_source_route_are_dropped() -> None:
    routed = Envelope(mail_from="<@relay.example,@hop.example:user@example.com>", rcpt_to="<me@x>")
    assert holds('envelope :is "from" "user@example.com"', SIMPLE, routed)
    assert holds('envelope :domain :is "to" "x"', SIMPLE, routed)


def test_without_an_envelope_envelope_tests_are_false() -> None:
    assert holds('envelope :matches "from" "*"', SIMPLE, None) is False
    assert holds('not envelope :matches "from" "*"', SIMPLE, None) is True


# ---- size (RFC 5228 §5.9), exists (§5.5)


@pytest.mark.parametrize(
    ("size", "over", "under"),
    [(1023, False, True), (1024, False, False), (1025, True, False)],
)
def test_size_is_strict_on_both_sides(size: int, over: bool, under: bool) -> None:
    assert holds("size :over 1K", SIMPLE, size=size) is over
    assert holds("size :under 1K", SIMPLE, size=size) is under


def test_size_defaults_to_the_message_length() -> None:
    assert holds(f"size :under {len(SIMPLE) + 1}", SIMPLE)
    assert holds(f"size :under {len(SIMPLE)}", SIMPLE) is False


def test_exists_needs_every_named_header() -> None:
    assert holds('exists ["From", "x-caffeine"]', SIMPLE)
    assert holds('exists ["From", "Date"]', SIMPLE) is False
    assert holds('exists "FROM"', SIMPLE)


# ---- allof, anyof, not, true, false (RFC 5228 §5.2, §5.3, §5.6, §5.8, §5.10)


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        ("true", True),
        ("false", False),
        ("not true", False),
        ("not not true", True),
        ("allof (true, true)", True),
        ("allof (true, false)", False),
        ("allof (false, true)", False),
        ("anyof (false, false)", False),
        ("anyof (false, true)", True),
        ("anyof (true, false)", True),
        ("allof (true)", True),
        ("anyof (not false, false)", True),
        ('allof (exists "from", not exists "date", size :over 10)', True),
    ],
)
def test_logic(test: str, expected: bool) -> None:
    assert holds(test, SIMPLE) is expected


# ---- hasflag (RFC 5232 §4)


@pytest.mark.parametrize(
    ("flags", "test", "expected"),
    [
        ('"\\\\Seen $Work"', 'hasflag "\\\\seen"', True),
        ('"\\\\Seen $Work"', 'hasflag "$work"', True),
        ('"\\\\Seen $Work"', 'hasflag :comparator "i;octet" "$work"', False),
        ('"\\\\Seen $Work"', 'hasflag ["x", "$Work"]', True),
        ('"\\\\Seen $Work"', 'hasflag "x \\\\Seen"', True),  # keys split on spaces too
        ('"\\\\Seen $Work"', 'hasflag :contains "wor"', True),
        ('"\\\\Seen $Work"', 'hasflag :matches "$*"', True),
        ('"\\\\Seen $Work"', 'hasflag "\\\\Flagged"', False),
        ('""', 'hasflag :matches "*"', False),
    ],
)
def test_hasflag_reads_the_internal_variable(flags: str, test: str, expected: bool) -> None:
    script = compile_script(
        f'{PREAMBLE}require "fileinto"; setflag {flags}; if {test} {{ fileinto "T"; }}'
    )
    mailboxes = [d.mailbox for d in script.evaluate(SIMPLE).deliver_to]
    assert (mailboxes == ["T"]) is expected
