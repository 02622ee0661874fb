"""The sans-IO IMAP core (RFC 3501 IMAP4rev1, RFC 9051 IMAP4rev2 and the
extensions the harness speaks), for both roles.

``connection``  ``IMAPConnection``: receive_data / next_event / send
``state``       the state table (which command in which state, transitions)
``phases``      IDLE, AUTHENTICATE, STARTTLS and literal-wait sub-dialogues
``framing``     stage 1: lines plus literals under ``IMAPLimits``
``lexer``       stage 2 tokens (``Reader``); ``writer``: the reverse (``Writer``)
``cmd_any`` ``cmd_nonauth`` ``cmd_auth`` ``cmd_list`` ``cmd_selected``
                commands grouped by the state RFC 9051 §6 lists them under;
                ``fetch`` and ``search`` hold FETCH and SEARCH with their grammars
``resp_status`` ``resp_data`` ``fetch_response``  the responses
``bodystructure``  ENVELOPE and BODY/BODYSTRUCTURE; ``values``: their types
``mutf7``       mailbox name helpers (modified UTF-7, UTF-8)
"""

from harness.protocols.imap.bodystructure import strip_extensions
from harness.protocols.imap.cmd_any import Capability, Id, Logout, Noop
from harness.protocols.imap.cmd_auth import (
    Append,
    Create,
    Delete,
    Enable,
    Examine,
    Idle,
    IdleDone,
    Namespace,
    QResync,
    Rename,
    Select,
    Status,
    Subscribe,
    Unsubscribe,
)
from harness.protocols.imap.cmd_list import List, Lsub
from harness.protocols.imap.cmd_nonauth import (
    Authenticate,
    AuthenticationCancel,
    AuthenticationData,
    Login,
    StartTLS,
)
from harness.protocols.imap.cmd_selected import Check, Close, Copy, Expunge, Move, Store, Unselect
from harness.protocols.imap.command import Command
from harness.protocols.imap.connection import IMAPConnection
from harness.protocols.imap.events import ConnectionClosed, Event, LiteralRequest
from harness.protocols.imap.fetch import Fetch, FetchAtt, FetchSection
from harness.protocols.imap.fetch_response import BodySection, FetchResponse
from harness.protocols.imap.framing import IMAPLimits
from harness.protocols.imap.mutf7 import decode_mutf7, encode_mutf7
from harness.protocols.imap.resp_data import (
    CapabilityResponse,
    EnabledResponse,
    ESearchResponse,
    ExistsResponse,
    ExpungeResponse,
    FlagsResponse,
    IdResponse,
    ListResponse,
    MailboxStatus,
    NamespaceResponse,
    RecentResponse,
    SearchResponse,
    VanishedResponse,
)
from harness.protocols.imap.resp_status import (
    AuthenticateChallenge,
    Continuation,
    ResponseCode,
    TaggedResponse,
    UntaggedStatus,
)
from harness.protocols.imap.search import (
    Search,
    SearchAnd,
    SearchDate,
    SearchHeader,
    SearchKey,
    SearchKeyword,
    SearchModSeq,
    SearchNot,
    SearchOr,
    SearchSet,
    SearchSimple,
    SearchSize,
    SearchText,
)
from harness.protocols.imap.state import State
from harness.protocols.imap.values import (
    STAR,
    Address,
    Body,
    BodyPart,
    Disposition,
    Envelope,
    Multipart,
    MultipartExtension,
    NamespaceDescr,
    PartExtension,
    Section,
    SequenceSet,
)

__all__ = [
    "STAR",
    "Address",
    "Append",
    "Authenticate",
    "AuthenticateChallenge",
    "AuthenticationCancel",
    "AuthenticationData",
    "Body",
    "BodyPart",
    "BodySection",
    "Capability",
    "CapabilityResponse",
    "Check",
    "Close",
    "Command",
    "ConnectionClosed",
    "Continuation",
    "Copy",
    "Create",
    "Delete",
    "Disposition",
    "ESearchResponse",
    "Enable",
    "EnabledResponse",
    "Envelope",
    "Event",
    "Examine",
    "ExistsResponse",
    "Expunge",
    "ExpungeResponse",
    "Fetch",
    "FetchAtt",
    "FetchResponse",
    "FetchSection",
    "FlagsResponse",
    "IMAPConnection",
    "IMAPLimits",
    "Id",
    "IdResponse",
    "Idle",
    "IdleDone",
    "List",
    "ListResponse",
    "LiteralRequest",
    "Login",
    "Logout",
    "Lsub",
    "MailboxStatus",
    "Move",
    "Multipart",
    "MultipartExtension",
    "Namespace",
    "NamespaceDescr",
    "NamespaceResponse",
    "Noop",
    "PartExtension",
    "QResync",
    "RecentResponse",
    "Rename",
    "ResponseCode",
    "Search",
    "SearchAnd",
    "SearchDate",
    "SearchHeader",
    "SearchKey",
    "SearchKeyword",
    "SearchModSeq",
    "SearchNot",
    "SearchOr",
    "SearchResponse",
    "SearchSet",
    "SearchSimple",
    "SearchSize",
    "SearchText",
    "Section",
    "Select",
    "SequenceSet",
    "StartTLS",
    "State",
    "Status",
    "Store",
    "Subscribe",
    "TaggedResponse",
    "Unselect",
    "Unsubscribe",
    "UntaggedStatus",
    "VanishedResponse",
    "decode_mutf7",
    "encode_mutf7",
    "strip_extensions",
]
