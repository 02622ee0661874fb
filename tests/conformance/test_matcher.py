"""The matcher: S: expectations against decoded responses."""

from __future__ import annotations

from harness.conformance.matcher import MatchStatus, match_expectation
from harness.conformance.response import Response
from tests.conformance.helpers import expects, only_expect

R = Response.of_lines
NO_VARIABLES: dict[str, bytes] = {}
ACCOUNT = {"user": b"alice@example.test", "password": b"pw", "domain": b"example.test"}


def check(body: str, responses: list[Response], variables: dict[str, bytes] | None = None):  # type: ignore[no-untyped-def]
    return match_expectation(only_expect(body), responses, variables or NO_VARIABLES)


# --- literal lines and wildcards -------------------------------------------------


def test_literal_line_matches_exactly() -> None:
    assert check("S: 250 OK\n", [R("250 OK")]).status is MatchStatus.MATCHED
    result = check("S: 250 OK\n", [R("250 Ok")])
    assert result.status is MatchStatus.MISMATCH
    assert result.message == "t.mhs:11: expected S: 250 OK, got S: 250 Ok"
    assert (result.expected, result.received) == ("S: 250 OK", "S: 250 Ok")


def test_wildcard_stays_within_the_line() -> None:
    assert check("S: 250 ${*}\n", [R("250 ")]).status is MatchStatus.MATCHED
    assert check("S: 250 ${*}ok\n", [R("250 all ok")]).status is MatchStatus.MATCHED
    assert check("S: ${*}\n", [R("250 a", "250 b")]).status is MatchStatus.MISMATCH


def test_imap_backslashes_and_stars_are_literal() -> None:
    line = "* OK [PERMANENTFLAGS (\\Seen \\*)] Limited"
    assert check(f"S: {line}\n", [R(line)]).status is MatchStatus.MATCHED
    assert check(f"S: {line}\n", [R(line.replace("*)", "x)"))]).status is MatchStatus.MISMATCH


def test_need_more_until_the_response_arrives() -> None:
    result = check("S: 220 ${*}\n", [])
    assert result.status is MatchStatus.NEED_MORE
    assert result.message == "t.mhs:11: expected S: 220 ${*}, got no response yet"


def test_bare_lf_line_end_does_not_match_s_but_matches_s_minus() -> None:
    bare = Response(b"250 OK\n")
    result = check("S: 250 OK\n", [bare])
    assert result.status is MatchStatus.MISMATCH
    assert "the line ends in a bare LF, not CRLF" in result.message
    assert result.received == "S-: 250 OK${LF}"
    assert check("S-: 250 OK${LF}\n", [bare]).status is MatchStatus.MATCHED


def test_incomplete_response_is_named_in_the_failure() -> None:
    cut = Response(b"250 O", complete=False)
    result = check("S: 250 OK\n", [cut])
    assert "the connection ended inside this response" in result.message
    assert check("S-: 250 O\n", [cut]).status is MatchStatus.MATCHED


def test_a_response_the_core_could_not_frame_never_matches() -> None:
    garbage = Response(b"hello\r\n", problem="SMTP reply line without a code")
    result = check("S: ${*}\n", [garbage])
    assert result.status is MatchStatus.MISMATCH
    assert "not a response: SMTP reply line without a code" in result.message


# --- multi-line responses and ... -----------------------------------------------

EHLO = R("250-mx.example", "250-PIPELINING", "250-SIZE 1000", "250 STARTTLS")


def test_multi_line_smtp_reply_walked_line_by_line() -> None:
    body = "S: 250-mx.example\nS: 250-PIPELINING\nS: 250-SIZE ${size}\nS: 250 STARTTLS\n"
    result = check(body, [EHLO])
    assert (result.status, result.consumed) == (MatchStatus.MATCHED, 1)
    assert result.captures == {"size": b"1000"}


def test_response_must_be_matched_completely() -> None:
    result = check("S: 250-mx.example\nS: 250-PIPELINING\n", [EHLO])
    assert result.status is MatchStatus.MISMATCH
    assert result.message.startswith(
        "t.mhs:12: expected the end of the response, got S: 250-SIZE 1000"
    )


def test_rest_accepts_the_remaining_lines_of_one_response_only() -> None:
    body = "S: 250${*}\n...\nS: 250 next\n"
    result = check(body, [EHLO, R("250 next")])
    assert (result.status, result.consumed) == (MatchStatus.MATCHED, 2)
    assert check(body, [EHLO]).status is MatchStatus.NEED_MORE
    assert check("S: 250 one\n...\n", [R("250 one")]).status is MatchStatus.MATCHED


def test_lines_flow_into_the_next_response_and_the_rest_stays_unread() -> None:
    responses = [R("250 a"), R("250 b"), R("250 c")]
    result = check("S: 250 a\nS: 250 b\n", responses)
    assert (result.status, result.consumed) == (MatchStatus.MATCHED, 2)


def test_pop3_multi_line_with_dot_stuffing_as_on_the_wire() -> None:
    retr = R("+OK 3 octets", "..hidden", "...", ".")
    body = "S: +OK${*}\nS: ..hidden\nS: ...\nS: .\n"
    assert check(body, [retr]).status is MatchStatus.MATCHED


def test_imap_literal_lines_inside_one_response() -> None:
    fetch = Response(b"* 1 FETCH (BODY[] {14}\r\nHi\r\nthere\r\n\r\n)\r\n")
    body = "S: * 1 FETCH (BODY[] {${size}}\nS: Hi\nS: there\nS:\nS: )\nS: a1 OK done\n"
    result = check(body, [fetch, R("a1 OK done")])
    assert (result.status, result.consumed) == (MatchStatus.MATCHED, 2)
    assert result.captures == {"size": b"14"}
    assert check("S: * 1 FETCH (BODY[] {14}\n...\n", [fetch]).status is MatchStatus.MATCHED


# --- captures, variables, alternatives, regex ------------------------------------------


def test_capture_binds_once_then_must_repeat() -> None:
    body = "S: * ${n} EXISTS\nS: * ${n} RECENT\n"
    good = check(body, [R("* 3 EXISTS"), R("* 3 RECENT")])
    assert good.status is MatchStatus.MATCHED and good.captures == {"n": b"3"}
    assert check(body, [R("* 3 EXISTS"), R("* 4 RECENT")]).status is MatchStatus.MISMATCH


def test_capture_reused_in_a_later_group_via_variables() -> None:
    first, second = expects("S: 334 ${challenge}\nC: ok\nS: 235 ${challenge}\n")
    bound = match_expectation(first, [R("334 PDEyMz4=")], {}).captures
    assert match_expectation(second, [R("235 PDEyMz4=")], dict(bound)).status is (
        MatchStatus.MATCHED
    )
    assert match_expectation(second, [R("235 other")], dict(bound)).status is MatchStatus.MISMATCH


def test_capture_next_to_punctuation_backtracks() -> None:
    result = check("S: * OK [UIDVALIDITY ${uv}] ${*}\n", [R("* OK [UIDVALIDITY 42] UIDs")])
    assert result.captures == {"uv": b"42"}


def test_account_variables_and_expressions_match_their_value() -> None:
    body = "S: 250 ${user} ${base64(NUL + user + NUL + password)}\n"
    line = "250 alice@example.test AGFsaWNlQGV4YW1wbGUudGVzdABwdw=="
    assert check(body, [R(line)], ACCOUNT).status is MatchStatus.MATCHED


def test_inline_alternatives() -> None:
    body = "S: ${500|502} ${*}\n"
    assert check(body, [R("502 5.5.2 not recognized")]).status is MatchStatus.MATCHED
    assert check(body, [R("250 ok")]).status is MatchStatus.MISMATCH


def test_either_block_first_matching_branch_wins() -> None:
    body = "either:\n  S: 250 ${*}\nor:\n  S: 550-${code} ${*}\n  ...\nend\n"
    assert check(body, [R("250 ok")]).captures == {}
    rejected = check(body, [R("550-5.7.1 no", "550 5.7.1 really")])
    assert rejected.status is MatchStatus.MATCHED and rejected.captures == {"code": b"5.7.1"}
    assert check(body, [R("354 go on")]).status is MatchStatus.MISMATCH


def test_either_branch_may_span_several_responses() -> None:
    body = "either:\n  S: 250 a\n  S: 250 b\nor:\n  S: 550 no\nend\n"
    assert check(body, [R("250 a")]).status is MatchStatus.NEED_MORE
    assert check(body, [R("250 a"), R("250 b")]).consumed == 2


def test_regex_line_with_named_groups() -> None:
    body = r"S~: \* (?P<n>\d+) FETCH \(.*FLAGS \([^)]*\\Flagged[^)]*\).*\)" + "\n"
    either_order = [
        R("* 1 FETCH (UID 7 FLAGS (\\Seen \\Flagged))"),
        R("* 1 FETCH (FLAGS (\\Flagged) UID 7)"),
    ]
    for response in either_order:
        result = check(body, [response])
        assert result.status is MatchStatus.MATCHED and result.captures == {"n": b"1"}
    assert check(body, [R("* 1 FETCH (FLAGS (\\Seen))")]).status is MatchStatus.MISMATCH


def test_regex_line_inserts_bound_values_escaped() -> None:
    body = "S: ${tag} OK\nS~: ${tag} .*\n"
    assert check(body, [R("a.1 OK"), R("a.1 BAD x")]).status is MatchStatus.MATCHED
    assert check(body, [R("a.1 OK"), R("aX1 BAD x")]).status is MatchStatus.MISMATCH


# --- unordered ----------------------------------------------------------------------------

SELECT_BODY = """\
unordered:
  S: * FLAGS (${*})
  S: * ${exists} EXISTS
  S: * OK [UIDVALIDITY ${uv}]${*}
  ...
end
S: a1 OK [READ-WRITE]${*}
"""


def test_unordered_untagged_in_any_order_then_tagged() -> None:
    responses = [
        R("* OK [UIDVALIDITY 9] ok"),
        R("* OK [HIGHESTMODSEQ 4] other"),
        R("* 2 EXISTS"),
        R("* FLAGS (\\Seen)"),
        R("a1 OK [READ-WRITE] done"),
    ]
    result = check(SELECT_BODY, responses)
    assert (result.status, result.consumed) == (MatchStatus.MATCHED, 5)
    assert result.captures == {"exists": b"2", "uv": b"9"}


def test_unordered_others_never_swallow_the_line_after_the_block() -> None:
    responses = [R("* 2 EXISTS"), R("* FLAGS ()"), R("a1 OK [READ-WRITE] done")]
    result = check(SELECT_BODY, responses)
    assert result.status is MatchStatus.MISMATCH
    assert result.received == "S: a1 OK [READ-WRITE] done"
    assert "line 14: S: * OK [UIDVALIDITY ${uv}]${*}" in result.expected


def test_unordered_waits_while_items_are_missing() -> None:
    result = check(SELECT_BODY, [R("* 2 EXISTS")])
    assert result.status is MatchStatus.NEED_MORE


def test_unordered_without_others_rejects_extras() -> None:
    body = "unordered:\n  S: * 1 EXISTS\n  S: * 0 RECENT\nend\n"
    assert check(body, [R("* 0 RECENT"), R("* 1 EXISTS")]).consumed == 2
    assert check(body, [R("* 0 RECENT"), R("* OK hi")]).status is MatchStatus.MISMATCH


def test_unordered_backtracks_when_a_general_item_takes_a_specific_response() -> None:
    body = "unordered:\n  S: * ${*}\n  S: * 1 EXISTS\nend\n"
    assert check(body, [R("* 1 EXISTS"), R("* FLAGS ()")]).status is MatchStatus.MATCHED


def test_unordered_identical_items_each_take_one_response() -> None:
    items = "".join("  S: * ${*} FETCH (FLAGS ())\n" for _ in range(8))
    body = f"unordered:\n{items}end\n"
    responses = [R(f"* {n} FETCH (FLAGS ())") for n in range(1, 9)]
    assert check(body, responses).consumed == 8
    result = check(body, [*responses[:7], R("* 8 FETCH (UID 8)")])
    assert result.status is MatchStatus.MISMATCH


def test_unordered_multi_line_item_with_a_literal() -> None:
    body = "unordered:\n  response:\n    S: * 1 FETCH (BODY[] {2}\n    S: hi)\n  end\n  S: * 2 EXISTS\nend\n"
    literal = Response(b"* 1 FETCH (BODY[] {2}\r\nhi)\r\n")
    assert check(body, [R("* 2 EXISTS"), literal]).consumed == 2


def test_unordered_only_others_skips_noise_before_the_tagged_line() -> None:
    body = "unordered:\n  ...\nend\nS: b1 OK${*}\n"
    assert check(body, [R("* 1 FETCH (FLAGS (\\Answered))"), R("b1 OK done")]).consumed == 2
    assert check(body, [R("b1 OK done")]).consumed == 1
    assert check(body, [R("* 1 EXISTS")]).status is MatchStatus.NEED_MORE


def test_unordered_must_start_at_a_response_boundary() -> None:
    body = "S: 250-a\nunordered:\n  S: 250 b\nend\n"
    result = check(body, [R("250-a", "250 b")])
    assert result.status is MatchStatus.MISMATCH
    assert "the previous response has more lines than expected" in result.message
