"""The corpus: deterministic, every kind valid MIME, every part decodes to what went in."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from harness.mail.corpus import CorpusMessage, build_message, generate
from harness.mail.integrity import verify
from harness.mail.kinds import ALL_KINDS, DEFAULT_KINDS, kind_named
from harness.mail.mime import MAX_LINE
from tests.mail.helpers import ALL_KIND_NAMES, leaf_parts, parse, physical_lines


def test_same_seed_gives_identical_bytes() -> None:
    first = generate(seed=5, count=len(DEFAULT_KINDS))
    second = generate(seed=5, count=len(DEFAULT_KINDS))
    assert [m.raw for m in first] == [m.raw for m in second]
    assert first == second


def test_different_seeds_differ_in_every_message() -> None:
    one = generate(seed=1, count=len(DEFAULT_KINDS))
    two = generate(seed=2, count=len(DEFAULT_KINDS))
    assert all(a.raw != b.raw for a, b in zip(one, two, strict=True))


def test_a_short_corpus_is_a_prefix_of_a_longer_one() -> None:
    short = generate(seed=9, count=4)
    longer = generate(seed=9, count=25)
    assert longer[:4] == short


def test_default_kinds_cycle_in_order_with_stable_names() -> None:
    corpus = generate(seed=0, count=len(DEFAULT_KINDS) + 2)
    expected = [k.name for k in DEFAULT_KINDS] + [k.name for k in DEFAULT_KINDS[:2]]
    assert [m.kind for m in corpus] == expected
    assert corpus[2].name == f"0003-{DEFAULT_KINDS[2].name}"
    assert corpus[-1].name == f"{len(corpus):04d}-{DEFAULT_KINDS[1].name}"


def test_opt_in_kinds_are_only_generated_by_name() -> None:
    defaults = {kind.name for kind in DEFAULT_KINDS}
    assert "large-attachment" not in defaults
    assert "bare-newline" not in defaults
    assert kind_named("bare-newline").in_default_set is False


def test_unknown_kind_and_negative_count_are_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown corpus kind 'nope'.*plain-7bit"):
        generate(seed=0, count=1, kinds=["nope"])
    with pytest.raises(ValueError, match="negative"):
        generate(seed=0, count=-1)
    assert generate(seed=0, count=0) == []


def test_every_kind_is_present(every_kind: list[CorpusMessage]) -> None:
    counts = Counter(m.kind for m in every_kind)
    assert counts == dict.fromkeys(ALL_KIND_NAMES, 2)


def test_harness_headers_come_first_and_are_unique(every_kind: list[CorpusMessage]) -> None:
    ids = []
    for message in every_kind:
        first, second = message.raw.split(b"\r\n")[:2]
        assert re.fullmatch(rb"X-Mailharness-Hash: sha256=[0-9a-f]{64}", first)
        assert second == f"X-Mailharness-Id: seed-11/{message.name}".encode()
        ids.append(second)
    assert len(set(ids)) == len(ids)


def test_date_and_message_id_come_from_the_seed(every_kind: list[CorpusMessage]) -> None:
    parsed = [parse(m.raw) for m in every_kind]
    message_ids = {str(p["Message-ID"]) for p in parsed}
    assert len(message_ids) == len(every_kind)
    assert all(p["Date"].datetime.year in (2024, 2025) for p in parsed)


def test_every_message_verifies(every_kind: list[CorpusMessage]) -> None:
    assert all(verify(m.raw) for m in every_kind)


@pytest.mark.parametrize("kind", ALL_KIND_NAMES)
def test_every_kind_parses_without_defects(kind: str, every_kind: list[CorpusMessage]) -> None:
    for message in (m for m in every_kind if m.kind == kind):
        parsed = parse(message.raw)
        for part in parsed.walk():
            assert part.defects == [], (message.name, part.get_content_type(), part.defects)


@pytest.mark.parametrize("kind", ALL_KIND_NAMES)
def test_parts_decode_to_what_was_put_in(kind: str, every_kind: list[CorpusMessage]) -> None:
    for message in (m for m in every_kind if m.kind == kind):
        parts = leaf_parts(parse(message.raw))
        if not message.leaves:  # header-only: the parser sees one empty text part
            assert [p.get_payload() for p in parts] == [""]
            continue
        assert len(parts) == len(message.leaves)
        for part, leaf in zip(parts, message.leaves, strict=True):
            assert part.get_content_type() == leaf.content_type
            assert part.get_payload(decode=True) == leaf.payload
            if leaf.filename is not None:
                assert part.get_filename() == leaf.filename


def test_decoded_headers_read_back(every_kind: list[CorpusMessage]) -> None:
    checked = 0
    for message in every_kind:
        parsed = parse(message.raw)
        for field, expected in message.decoded_headers:
            value = parsed[field]
            addresses = getattr(value, "addresses", None)
            actual = addresses[0].display_name if addresses else str(value)
            assert actual == expected, (message.name, field)
            checked += 1
    assert checked >= 2 * 4 + 2 * 2 + 2  # rfc2047, long-folded-header, smtputf8


def _is_crlf_clean(raw: bytes) -> bool:
    return b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b"")


def test_line_rules_hold_for_every_valid_message(every_kind: list[CorpusMessage]) -> None:
    for message in every_kind:
        assert message.raw.endswith(b"\r\n"), message.name
        assert b"\0" not in message.raw
        if message.needs_binarymime or not message.valid_for_smtp:
            continue
        assert _is_crlf_clean(message.raw), message.name
        assert max(len(line) for line in physical_lines(message.raw)) <= MAX_LINE, message.name


def test_binary_and_bare_newline_kinds_break_the_line_rules_on_purpose(
    every_kind: list[CorpusMessage],
) -> None:
    for message in every_kind:
        if message.kind in ("binary-body", "bare-newline"):
            assert not _is_crlf_clean(message.body)
            assert _is_crlf_clean(message.header_section)
    binary = next(m for m in every_kind if m.kind == "binary-body")
    assert binary.needs_binarymime and binary.valid_for_smtp
    bare = next(m for m in every_kind if m.kind == "bare-newline")
    assert not bare.valid_for_smtp and not bare.needs_binarymime


def _by_kind(corpus: list[CorpusMessage], kind: str) -> CorpusMessage:
    return next(m for m in corpus if m.kind == kind)


@pytest.mark.parametrize(
    ("kind", "eight_bit", "utf8", "binary"),
    [
        ("plain-7bit", False, False, False),
        ("multipart-mixed", False, False, False),
        ("rfc2047-headers", False, False, False),
        ("8bit-body", True, False, False),
        ("smtputf8", True, True, False),
        ("binary-body", True, False, True),
    ],
)
def test_flags_follow_the_content(
    kind: str, eight_bit: bool, utf8: bool, binary: bool, every_kind: list[CorpusMessage]
) -> None:
    message = _by_kind(every_kind, kind)
    assert (message.needs_8bitmime, message.needs_smtputf8, message.needs_binarymime) == (
        eight_bit,
        utf8,
        binary,
    )


def test_smtputf8_envelope_and_headers_carry_utf8(every_kind: list[CorpusMessage]) -> None:
    message = _by_kind(every_kind, "smtputf8")
    assert not message.envelope_from.isascii()
    assert not all(address.isascii() for address in message.envelope_to)
    assert not message.header_section.isascii()
    assert b"=?" not in message.header_section  # RFC 6532: raw UTF-8, not encoded-words
    domain = message.envelope_to[0].split("@")[1]
    assert domain.encode("idna").startswith(b"xn--")


def test_ordinary_kinds_use_the_default_ascii_envelope(every_kind: list[CorpusMessage]) -> None:
    message = _by_kind(every_kind, "plain-7bit")
    assert message.envelope_from == "corpus@mailharness.test"
    assert message.envelope_to == ("recipient@mailharness.test",)


def test_every_kind_names_its_catalogue_checks() -> None:
    catalogue_id = re.compile(r"[A-Z0-9]+(-[A-Z0-9]+)+")
    for kind in ALL_KINDS:
        assert kind.checks, kind.name
        assert all(catalogue_id.fullmatch(check) for check in kind.checks), kind.name


def test_build_message_matches_generate() -> None:
    kind = kind_named("leading-dots")
    corpus = generate(seed=3, count=5, kinds=["plain-7bit", "leading-dots"])
    assert build_message(3, 1, kind) == corpus[1]
