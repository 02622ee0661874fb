"""The POP3 sans-IO core (RFC 1939; RFC 2449 CAPA, RESP-CODES, PIPELINING;
RFC 2595 STLS; RFC 5034 AUTH; RFC 6856 UTF8/LANG; RFC 3206 codes).

``POP3Connection`` in either role; events in ``events``; the state table in
``state``; the grammar by state: ``authorization``, ``transaction``, ``update``
(QUIT) and ``capabilities`` (CAPA, LANG); status lines and response codes in
``responses``; the sub-dialogues as phase objects: ``multiline`` (byte-stuffed
listings and streamed bodies), ``stls`` (injection guard), and AUTH lines in
``commands`` (the SASL mechanisms themselves are ``harness.protocols.sasl``).
"""

from harness.protocols.pop3.authorization import apop_digest, apop_timestamp
from harness.protocols.pop3.connection import POP3Connection
from harness.protocols.pop3.events import (
    Apop,
    Auth,
    AuthChallenge,
    AuthLine,
    Capa,
    Capability,
    ClientEvent,
    Command,
    ConnectionClosed,
    Dele,
    Err,
    Event,
    Lang,
    LanguageListing,
    List,
    MessageData,
    MultilineEnd,
    MultilinePart,
    Noop,
    Ok,
    Pass,
    Quit,
    Response,
    Retr,
    Rset,
    ScanListing,
    ServerEvent,
    Stat,
    Stls,
    Top,
    Uidl,
    UniqueIdListing,
    User,
    Utf8,
)
from harness.protocols.pop3.limits import POP3Limits
from harness.protocols.pop3.responses import (
    AUTH,
    IN_USE,
    LOGIN_DELAY,
    SYS_PERM,
    SYS_TEMP,
    UTF8,
)
from harness.protocols.pop3.state import State
from harness.protocols.pop3.transaction import (
    parse_drop_listing,
    parse_scan_listing,
    parse_unique_id_listing,
)

__all__ = [
    "AUTH",
    "IN_USE",
    "LOGIN_DELAY",
    "SYS_PERM",
    "SYS_TEMP",
    "UTF8",
    "Apop",
    "Auth",
    "AuthChallenge",
    "AuthLine",
    "Capa",
    "Capability",
    "ClientEvent",
    "Command",
    "ConnectionClosed",
    "Dele",
    "Err",
    "Event",
    "Lang",
    "LanguageListing",
    "List",
    "MessageData",
    "MultilineEnd",
    "MultilinePart",
    "Noop",
    "Ok",
    "POP3Connection",
    "POP3Limits",
    "Pass",
    "Quit",
    "Response",
    "Retr",
    "Rset",
    "ScanListing",
    "ServerEvent",
    "Stat",
    "State",
    "Stls",
    "Top",
    "Uidl",
    "UniqueIdListing",
    "User",
    "Utf8",
    "apop_digest",
    "apop_timestamp",
    "parse_drop_listing",
    "parse_scan_listing",
    "parse_unique_id_listing",
]
