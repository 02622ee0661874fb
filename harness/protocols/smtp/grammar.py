"""The RFC 5321 §4.1.2 / §4.1.3 productions as compiled regular expressions.

Each production is written once here, beside its ABNF, and the parsers in
address.py, params.py and commands.py combine them. RFC 6531 (SMTPUTF8)
widens atext, qtextSMTP and sub-domain to UTF-8: the character classes below
include every non-ASCII code point, and the connection decides whether UTF-8
was allowed for the transaction.

The patterns are written so that alternatives never overlap (no nested
quantifiers over the same characters), so matching stays linear in the
length of the input: a hostile 12 kB line cannot make them backtrack.
"""

from __future__ import annotations

import ipaddress
import re

_UTF8 = "\u0080-\U0010ffff"

# Let-dig = ALPHA / DIGIT ;  Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig
# sub-domain = Let-dig [Ldh-str] ; RFC 6531 §3.3: sub-domain =/ U-label
# Domain = sub-domain *("." sub-domain)
LET_DIG = f"[A-Za-z0-9{_UTF8}]"
SUB_DOMAIN = f"{LET_DIG}+(?:-+{LET_DIG}+)*"
DOMAIN = f"{SUB_DOMAIN}(?:\\.{SUB_DOMAIN})*"

# atext (RFC 5322 §3.2.3) ; RFC 6531 §3.3: atext =/ UTF8-non-ascii
# Atom = 1*atext ; Dot-string = Atom *("." Atom)
ATEXT = f"[A-Za-z0-9!#$%&'*+\\-/=?^_`{{|}}~{_UTF8}]"
ATOM = f"{ATEXT}+"
DOT_STRING = f"{ATOM}(?:\\.{ATOM})*"

# Quoted-string = DQUOTE *QcontentSMTP DQUOTE
# QcontentSMTP = qtextSMTP / quoted-pairSMTP
# qtextSMTP = %d32-33 / %d35-91 / %d93-126 ; RFC 6531: =/ UTF8-non-ascii
# quoted-pairSMTP = %d92 %d32-126
QTEXT = f"[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e{_UTF8}]"
QUOTED_PAIR = "\\\\[\\x20-\\x7e]"
QUOTED_STRING = f'"(?:{QTEXT}|{QUOTED_PAIR})*"'

# address-literal = "[" ( IPv4-address-literal / IPv6-address-literal /
#                         General-address-literal ) "]"
# dcontent = %d33-90 / %d94-126 ; the parts are checked by address_literal_ok()
ADDRESS_LITERAL = "\\[[\\x21-\\x5a\\x5e-\\x7e]+\\]"

# Path = "<" [ A-d-l ":" ] Mailbox ">"
# A-d-l = At-domain *( "," At-domain ) ;  At-domain = "@" Domain
# Mailbox = Local-part "@" ( Domain / address-literal )
# Local-part = Dot-string / Quoted-string
PATH_RE = re.compile(
    f"<(?:(?P<adl>@{DOMAIN}(?:,@{DOMAIN})*):)?"
    f"(?P<local>{DOT_STRING}|{QUOTED_STRING})"
    f"@(?P<domain>{DOMAIN}|{ADDRESS_LITERAL})>"
)
# The common case, all ASCII: <Dot-string@Domain>, no route, no quotes, no literal.
# It matches a subset of PATH_RE with the same extent, so it may be tried first.
_ASCII_ATOM = "[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~]+"
_ASCII_SUB = "[A-Za-z0-9]+(?:-+[A-Za-z0-9]+)*"
_FAST_PATH = f"<({_ASCII_ATOM}(?:\\.{_ASCII_ATOM})*)@({_ASCII_SUB}(?:\\.{_ASCII_SUB})*)>"
# ... matched with the keyword before it, as the MAIL and RCPT parsers see the
# line (no IGNORECASE: Unicode case folding would let look-alike letters through)
FAST_FROM_RE = re.compile(" [Ff][Rr][Oo][Mm]:" + _FAST_PATH)
FAST_TO_RE = re.compile(" [Tt][Oo]:" + _FAST_PATH)
DOT_STRING_RE = re.compile(DOT_STRING)
DOMAIN_OR_LITERAL_RE = re.compile(f"{DOMAIN}|{ADDRESS_LITERAL}")

# esmtp-param = esmtp-keyword ["=" esmtp-value]
# esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
# esmtp-value = 1*(%d33-60 / %d62-126) ; RFC 6531 §3.3: =/ UTF8-non-ascii
ESMTP_PARAM_RE = re.compile(f"([A-Za-z0-9][A-Za-z0-9-]*)(?:=([\\x21-\\x3c\\x3e-\\x7e{_UTF8}]+))?")

# Standardized-tag = Ldh-str ; Snum = 1*3DIGIT ; IPv4-address-literal = Snum 3("." Snum)
_LDH_TAG_RE = re.compile("[A-Za-z0-9-]*[A-Za-z0-9]")
_IPV4_RE = re.compile("[0-9]{1,3}(?:\\.[0-9]{1,3}){3}")

# Characters no text argument may hold: C0 controls but HT, and DEL.
CONTROL_RE = re.compile("[\\x00-\\x08\\x0a-\\x1f\\x7f]")


def address_literal_ok(literal: str) -> bool:
    """Check "[...]" against the three address-literal forms (RFC 5321 §4.1.3)."""
    inner = literal[1:-1]
    tag, colon, rest = inner.partition(":")
    if not colon:
        return _IPV4_RE.fullmatch(inner) is not None and all(
            int(part) <= 255 for part in inner.split(".")
        )
    if tag.upper() == "IPV6":
        # IPv6-address-literal = "IPv6:" IPv6-addr ; no zone index in the grammar
        if "%" in rest:
            return False
        try:
            ipaddress.IPv6Address(rest)
        except ValueError:
            return False
        return True
    # General-address-literal = Standardized-tag ":" 1*dcontent
    return bool(rest) and _LDH_TAG_RE.fullmatch(tag) is not None
