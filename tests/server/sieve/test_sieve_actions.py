"""Actions and the implicit keep (RFC 5228 §2.10, §3.3, §4), flags (RFC 5232 §3, §5)."""

from __future__ import annotations

from harness.server.sieve import KEEP, Actions, Delivery, compile_script

MESSAGE = b"From: someone@example.com\r\nSubject: hello\r\n\r\nbody\r\n"
PREAMBLE = 'require ["fileinto", "imap4flags"];\n'


def run(body: str) -> Actions:
    return compile_script(PREAMBLE + body).evaluate(MESSAGE)


def mailboxes(body: str) -> list[str]:
    return [delivery.mailbox for delivery in run(body).deliver_to]


def flags_in(body: str, mailbox: str) -> set[str]:
    (flags,) = [d.flags for d in run(body).deliver_to if d.mailbox == mailbox]
    return set(flags)


# ---- implicit keep (RFC 5228 §2.10.2)


def test_empty_script_keeps_in_inbox() -> None:
    assert compile_script("").evaluate(MESSAGE) == KEEP


def test_script_taking_no_action_keeps_implicitly() -> None:
    actions = run("if size :over 500K { discard; }")
    assert actions == Actions((Delivery("INBOX", frozenset()),), implicit_keep=True)
    assert not actions.discarded


def test_discard_cancels_the_implicit_keep() -> None:
    actions = run("discard;")
    assert actions.deliver_to == ()
    assert actions.discarded
    assert not actions.implicit_keep


def test_fileinto_cancels_the_implicit_keep() -> None:
    actions = run('fileinto "Finance";')
    assert actions == Actions((Delivery("Finance", frozenset()),), implicit_keep=False)


def test_explicit_keep_is_not_the_implicit_one() -> None:
    actions = run("keep;")
    assert mailboxes("keep;") == ["INBOX"]
    assert not actions.implicit_keep


def test_stop_before_any_action_keeps() -> None:
    assert run('stop; fileinto "Never";') == KEEP


def test_stop_keeps_the_actions_taken_so_far() -> None:
    assert mailboxes('fileinto "A"; stop; fileinto "B";') == ["A"]


def test_stop_inside_a_block_ends_the_whole_script() -> None:
    assert mailboxes('if true { fileinto "A"; stop; } fileinto "B";') == ["A"]


# ---- discard beside keep and fileinto (RFC 5228 §4.4)


def test_discard_does_not_cancel_an_explicit_keep_or_fileinto() -> None:
    assert mailboxes("keep; discard;") == ["INBOX"]
    assert mailboxes("discard; keep;") == ["INBOX"]
    assert mailboxes('discard; fileinto "A";') == ["A"]
    assert not run('discard; fileinto "A";').discarded


# ---- several deliveries (RFC 5228 §2.10.1, §2.10.3)


def test_keep_plus_fileinto_delivers_two_copies_in_script_order() -> None:
    assert mailboxes('fileinto "A"; keep;') == ["A", "INBOX"]
    assert mailboxes('keep; fileinto "A";') == ["INBOX", "A"]


def test_same_mailbox_twice_is_delivered_once() -> None:
    assert mailboxes('fileinto "A"; fileinto "B"; fileinto "A";') == ["A", "B"]


def test_fileinto_inbox_in_any_case_is_the_same_as_keep() -> None:
    assert mailboxes('keep; fileinto "inbox"; fileinto "Inbox";') == ["INBOX"]


def test_other_mailbox_names_are_case_sensitive() -> None:
    assert mailboxes('fileinto "Work"; fileinto "work";') == ["Work", "work"]


def test_hierarchical_and_utf8_names_pass_through_unchanged() -> None:
    assert mailboxes('fileinto "Lists/ietf"; fileinto "Büro";') == ["Lists/ietf", "Büro"]


# ---- if/elsif/else (RFC 5228 §3.1)


def test_exactly_one_branch_runs() -> None:
    chain = 'if {0} {{ fileinto "1"; }} elsif {1} {{ fileinto "2"; }} else {{ fileinto "3"; }}'
    assert mailboxes(chain.format("true", "true")) == ["1"]
    assert mailboxes(chain.format("false", "true")) == ["2"]
    assert mailboxes(chain.format("false", "false")) == ["3"]


def test_if_without_else_and_false_test_does_nothing() -> None:
    assert run('if false { fileinto "A"; }') == KEEP


# ---- flags (RFC 5232)


def test_fileinto_flags_apply_to_that_delivery_only() -> None:
    body = 'fileinto :flags "\\\\Seen" "A"; fileinto "B";'
    assert flags_in(body, "A") == {"\\Seen"}
    assert flags_in(body, "B") == set()


def test_internal_variable_is_used_when_no_flags_are_given() -> None:
    body = 'addflag "\\\\Flagged"; fileinto "A"; addflag "$Later"; keep;'
    assert flags_in(body, "A") == {"\\Flagged"}
    assert flags_in(body, "INBOX") == {"\\Flagged", "$Later"}


def test_implicit_keep_uses_the_variable_at_the_end() -> None:
    actions = run('setflag "a b"; addflag ["c", "A"]; removeflag "B";')
    assert actions == Actions((Delivery("INBOX", frozenset({"a", "c"})),), implicit_keep=True)


def test_setflag_replaces_the_variable() -> None:
    assert flags_in('addflag "x"; setflag "\\\\Seen"; keep;', "INBOX") == {"\\Seen"}


def test_explicit_flags_do_not_change_the_variable() -> None:
    body = 'addflag "v"; fileinto :flags "explicit" "A"; keep;'
    assert flags_in(body, "A") == {"explicit"}
    assert flags_in(body, "INBOX") == {"v"}


def test_system_flags_take_their_canonical_spelling() -> None:
    assert flags_in('keep :flags "\\\\SEEN \\\\answered";', "INBOX") == {"\\Seen", "\\Answered"}


def test_invalid_and_recent_flags_are_dropped() -> None:
    body = 'keep :flags ["\\\\Recent", "\\\\Custom", "has(paren", "ok", "caf\u00e9"];'
    assert flags_in(body, "INBOX") == {"ok"}


def test_repeated_delivery_merges_flags() -> None:
    body = 'fileinto :flags "a" "X"; fileinto :flags "b" "X";'
    assert run(body).deliver_to == (Delivery("X", frozenset({"a", "b"})),)


def test_removeflag_is_case_insensitive() -> None:
    assert (
        flags_in('setflag "$Work \\\\Seen"; removeflag "$work \\\\seen"; keep;', "INBOX") == set()
    )


def test_discard_with_flags_set_stores_nothing() -> None:
    assert run('addflag "x"; discard;').deliver_to == ()
