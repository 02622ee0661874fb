"""ENVELOPE (RFC 3501 §7.4.2, RFC 9051 §7.5.2) from a header section.

Fields are returned as stored, unfolded but not decoded: RFC 2047 encoded
words stay encoded ("the client is expected to decode them"). Addresses are
parsed by ``email``'s RFC 5322 parser; the encoded words in display names
are hidden from it so that it cannot decode them.

    address = "(" addr-name SP addr-adl SP addr-mailbox SP addr-host ")"
"""

from __future__ import annotations

from email import _header_value_parser as hvp
from email.errors import HeaderParseError

from harness.protocols.imap.values import Address, AddressList, Envelope
from harness.server.imap.mime_entity import Entity
from harness.server.imap.mime_headers import wire_text

# A noncharacter stands in for "=?" while email parses: it is atext to the
# parser, so tokens split the same, but no encoded word is recognised.
_EW_START = "\ufdd0"

# RFC 3501 §7.4.2 gives no form for an address without a mailbox or host,
# and a NIL host would read as a group; these are Dovecot's placeholders.
MISSING_MAILBOX = "MISSING_MAILBOX"
MISSING_DOMAIN = "MISSING_DOMAIN"

GROUP_END = Address(None, None, None, None)


def build_envelope(message: Entity) -> Envelope:
    """The ENVELOPE of ``message`` (a whole message or an encapsulated one)."""

    def text(name: str) -> str | None:
        found = message.field(name)
        return None if found is None else wire_text(found.value)

    def addresses(name: str) -> AddressList:
        value = text(name)
        return None if value is None else parse_address_list(value)

    from_ = addresses("From")
    # RFC 3501 §7.4.2: "If the Sender or Reply-To lines are absent in the
    # [RFC-2822] header, or are present but empty, the server sets the
    # corresponding member of the envelope to be the same value as the from
    # member".
    return Envelope(
        date=text("Date"),
        subject=text("Subject"),
        from_=from_,
        sender=addresses("Sender") or from_,
        reply_to=addresses("Reply-To") or from_,
        to=addresses("To"),
        cc=addresses("Cc"),
        bcc=addresses("Bcc"),
        in_reply_to=text("In-Reply-To"),
        message_id=text("Message-ID"),
    )


def parse_address_list(value: str) -> AddressList:
    """An address-list field as ENVELOPE addresses; None (NIL) if it holds none.

    RFC 3501 §7.4.2: a group is "indicated by a special form of address
    structure in which the host name field is NIL. If the mailbox name field
    is also NIL, this is an end of group marker (semi-colon in RFC 822
    syntax). If the mailbox name field is non-NIL, this is a start of group
    marker, and the mailbox name field holds the group name phrase."
    """
    try:
        parsed, _ = hvp.get_address_list(value.replace("=?", _EW_START))
    except (HeaderParseError, IndexError, ValueError):
        # email gives up on some broken lists ("<"); the field is not empty,
        # so say so rather than NIL.
        if not value.strip():
            return None
        return (Address(None, None, MISSING_MAILBOX, MISSING_DOMAIN),)
    result: list[Address] = []
    for address in parsed.addresses:
        head = address[0]
        if head.token_type == "group":
            name = _restore(getattr(head, "display_name", None)) or ""
            result.append(Address(None, None, name, None))
            result.extend(_mailbox(m) for m in getattr(head, "all_mailboxes", ()))
            result.append(GROUP_END)
        else:
            result.extend(_mailbox(m) for m in address.all_mailboxes)
    return tuple(result) or None


def _mailbox(token: hvp.TokenList) -> Address:
    # "user@domain (Real Name)": RFC 822 clients put the name in a comment;
    # Dovecot reports it as the name, and so do we.
    name = _restore(getattr(token, "display_name", None)) or _last_comment(token)
    route = getattr(token, "route", None)
    local_part = _restore(getattr(token, "local_part", None))
    domain = _restore(getattr(token, "domain", None))
    return Address(
        name or None,
        ",".join("@" + _restore(hop) for hop in route) if route else None,
        local_part or MISSING_MAILBOX,
        domain or MISSING_DOMAIN,
    )


def _last_comment(token: hvp.TokenList) -> str | None:
    comments = [t for t in _walk(token) if t.token_type == "comment"]
    if not comments:
        return None
    return _restore("".join(str(part) for part in comments[-1])) or None


def _walk(token: hvp.TokenList) -> list[hvp.TokenList]:
    """Sub-token lists in document order, not looking inside comments (a
    nested comment is part of the one around it)."""
    found: list[hvp.TokenList] = []
    for child in token:
        if isinstance(child, hvp.TokenList):
            found.append(child)
            if child.token_type != "comment":
                found.extend(_walk(child))
    return found


def _restore(text: str | None) -> str:
    return "" if text is None else text.replace(_EW_START, "=?")
