"""Hypothesis strategies for every IMAP command and response event."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import strategies as st

from harness.protocols.imap import (
    STAR,
    Address,
    Append,
    Authenticate,
    BodyPart,
    BodySection,
    Capability,
    CapabilityResponse,
    Check,
    Close,
    Continuation,
    Copy,
    Create,
    Delete,
    Disposition,
    Enable,
    EnabledResponse,
    Envelope,
    ESearchResponse,
    Examine,
    ExistsResponse,
    Expunge,
    ExpungeResponse,
    Fetch,
    FetchResponse,
    FetchSection,
    FlagsResponse,
    Id,
    Idle,
    IdResponse,
    List,
    ListResponse,
    Login,
    Logout,
    Lsub,
    MailboxStatus,
    Move,
    Multipart,
    MultipartExtension,
    Namespace,
    NamespaceDescr,
    NamespaceResponse,
    Noop,
    PartExtension,
    QResync,
    RecentResponse,
    Rename,
    ResponseCode,
    Search,
    SearchAnd,
    SearchDate,
    SearchHeader,
    SearchKeyword,
    SearchModSeq,
    SearchNot,
    SearchOr,
    SearchResponse,
    SearchSet,
    SearchSimple,
    SearchSize,
    SearchText,
    Section,
    Select,
    SequenceSet,
    StartTLS,
    Status,
    Store,
    Subscribe,
    TaggedResponse,
    Unselect,
    Unsubscribe,
    UntaggedStatus,
    VanishedResponse,
)
from harness.protocols.imap.cmd_auth import STATUS_ITEMS
from harness.protocols.imap.cmd_list import RETURN_OPTIONS, SELECT_OPTIONS
from harness.protocols.imap.fetch import MACROS, SIMPLE_ATTS
from harness.protocols.imap.lexer import ATOM_CHARS
from harness.protocols.imap.search import DATE_KEYS, SIMPLE_KEYS, SIZE_KEYS, TEXT_KEYS

MAX32 = 0xFFFFFFFF
MAX63 = (1 << 63) - 1

atoms = st.text(alphabet=ATOM_CHARS.decode(), min_size=1, max_size=12)
tags = st.text(alphabet=ATOM_CHARS.decode().replace("+", "") + "]", min_size=1, max_size=8)
# Any text a string can carry: no NUL (only literal8 may), no lone surrogates.
texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20
)
# Octets that are not UTF-8 survive as surrogate escapes.
wire_texts = texts | st.binary(max_size=12).filter(lambda b: b"\x00" not in b).map(
    lambda b: b.decode("utf-8", "surrogateescape")
)
mailboxes = wire_texts.filter(lambda s: s.upper() != "INBOX") | st.just("INBOX")
flags = st.builds(lambda bs, a: ("\\" if bs else "") + a, st.booleans(), atoms)
flag_lists = st.lists(flags, max_size=5).map(tuple)
nz32 = st.integers(1, MAX32)
number64 = st.integers(0, MAX63)
resp_texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r\n"), max_size=30
).filter(lambda t: not t.startswith("["))
seq_numbers = nz32 | st.just(STAR)
sequence_sets = st.lists(st.tuples(seq_numbers, seq_numbers), min_size=1, max_size=5).map(
    lambda ranges: SequenceSet(tuple(ranges))
) | st.just(SequenceSet(saved=True))
uid_sets = st.lists(st.tuples(nz32, nz32), min_size=1, max_size=4).map(
    lambda ranges: SequenceSet(tuple(ranges))
)
zones = st.integers(-12 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
date_times = st.builds(
    lambda d, z: d.replace(tzinfo=z),
    st.datetimes(datetime(1000, 1, 1), datetime(9999, 12, 30)).map(
        lambda d: d.replace(microsecond=0)
    ),
    zones,
)
dates = st.dates(date(1000, 1, 1), date(9999, 12, 31))
nstrings = st.none() | texts

# -- values --------------------------------------------------------------------

addresses = st.builds(Address, nstrings, nstrings, nstrings, nstrings)
address_lists = st.none() | st.lists(addresses, min_size=1, max_size=3).map(tuple)
envelopes = st.builds(Envelope, nstrings, nstrings, *[address_lists] * 6, nstrings, nstrings)
params = st.lists(st.tuples(texts, texts), max_size=3).map(tuple)
dispositions = st.none() | st.builds(Disposition, texts, params)
languages = st.none() | st.lists(texts, min_size=1, max_size=3).map(tuple)
extension_values = st.recursive(
    st.none() | texts | number64,
    lambda inner: st.lists(inner, min_size=1, max_size=3).map(tuple),
    max_leaves=5,
)
more = st.lists(extension_values, max_size=2).map(tuple)
part_extensions = st.none() | st.builds(
    PartExtension, nstrings, dispositions, languages, nstrings, more
)
mpart_extensions = st.none() | st.builds(
    MultipartExtension, params, dispositions, languages, nstrings, more
)


def _leaf_parts(ext: bool) -> st.SearchStrategy[BodyPart]:
    extension = part_extensions if ext else st.none()
    basic = st.builds(
        BodyPart,
        st.sampled_from(["IMAGE", "application", "AUDIO"]),
        texts,
        params,
        nstrings,
        nstrings,
        texts,
        number64,
        st.none(),
        extension=extension,
    )
    text = st.builds(
        BodyPart,
        st.sampled_from(["TEXT", "text"]),
        texts,
        params,
        nstrings,
        nstrings,
        texts,
        number64,
        number64,
        extension=extension,
    )
    return basic | text


def bodies(ext: bool) -> st.SearchStrategy[BodyPart | Multipart]:
    extension = mpart_extensions if ext else st.none()

    def extend(
        inner: st.SearchStrategy[BodyPart | Multipart],
    ) -> st.SearchStrategy[BodyPart | Multipart]:
        multipart = st.builds(
            Multipart, st.lists(inner, min_size=1, max_size=3).map(tuple), texts, extension
        )
        message = st.builds(
            BodyPart,
            st.just("MESSAGE"),
            st.sampled_from(["RFC822", "global"]),
            params,
            nstrings,
            nstrings,
            texts,
            number64,
            number64,
            envelopes,
            inner,
            part_extensions if ext else st.none(),
        )
        return multipart | message

    return st.recursive(_leaf_parts(ext), extend, max_leaves=4)


sections = st.one_of(
    st.builds(Section, st.just(()), st.sampled_from([None, "HEADER", "TEXT"])),
    st.builds(
        Section,
        st.lists(st.integers(1, 99), max_size=3).map(tuple),
        st.sampled_from(["HEADER.FIELDS", "HEADER.FIELDS.NOT"]),
        st.lists(texts, min_size=1, max_size=3).map(tuple),
    ),
    st.builds(
        Section,
        st.lists(st.integers(1, 99), min_size=1, max_size=3).map(tuple),
        st.sampled_from([None, "HEADER", "TEXT", "MIME"]),
    ),
)
binary_sections = st.builds(Section, st.lists(st.integers(1, 99), max_size=3).map(tuple))
data = st.none() | st.binary(max_size=40).filter(lambda b: b"\x00" not in b)

# -- commands ------------------------------------------------------------------

qresyncs = st.none() | st.builds(
    QResync,
    nz32,
    number64,
    st.none() | uid_sets,
    st.none() | st.tuples(uid_sets, uid_sets),
)
id_params = st.none() | st.lists(st.tuples(texts, nstrings), max_size=3).map(tuple)
fetch_sections = st.one_of(
    st.builds(
        FetchSection,
        st.just("BODY"),
        sections,
        st.none() | st.tuples(st.integers(0, MAX32), nz32),
        st.booleans(),
    ),
    st.builds(
        FetchSection,
        st.just("BINARY"),
        binary_sections,
        st.none() | st.tuples(st.integers(0, MAX32), nz32),
        st.booleans(),
    ),
    st.builds(FetchSection, st.just("BINARY.SIZE"), binary_sections),
)
fetch_atts = st.sampled_from(sorted(SIMPLE_ATTS)) | fetch_sections


@st.composite
def fetches(draw: st.DrawFn, tag: str) -> Fetch:
    uid = draw(st.booleans())
    changedsince = draw(st.none() | number64)
    vanished = uid and changedsince is not None and draw(st.booleans())
    if draw(st.booleans()):
        return Fetch(
            tag,
            draw(sequence_sets),
            (),
            draw(st.sampled_from(sorted(MACROS))),
            uid,
            changedsince,
            vanished,
        )
    items = tuple(draw(st.lists(fetch_atts, min_size=1, max_size=4)))
    return Fetch(tag, draw(sequence_sets), items, None, uid, changedsince, vanished)


search_leaves = st.one_of(
    st.builds(SearchSimple, st.sampled_from(sorted(SIMPLE_KEYS))),
    st.builds(SearchText, st.sampled_from(sorted(TEXT_KEYS)), wire_texts),
    st.builds(SearchKeyword, st.sampled_from(["KEYWORD", "UNKEYWORD"]), atoms),
    st.builds(SearchHeader, wire_texts, wire_texts),
    st.builds(SearchDate, st.sampled_from(sorted(DATE_KEYS)), dates),
    st.builds(SearchSize, st.sampled_from(sorted(SIZE_KEYS)), number64),
    st.builds(SearchSet, sequence_sets, st.booleans()),
    st.builds(
        SearchModSeq,
        number64,
        st.none()
        | st.tuples(atoms.map(lambda a: "/flags/" + a), st.sampled_from(["priv", "shared", "all"])),
    ),
)
search_keys = st.recursive(
    search_leaves,
    lambda inner: st.one_of(
        st.builds(SearchNot, inner),
        st.builds(SearchOr, inner, inner),
        st.lists(inner, min_size=1, max_size=3).map(lambda keys: SearchAnd(tuple(keys))),
    ),
    max_leaves=6,
)


@st.composite
def lists(draw: st.DrawFn, tag: str) -> List:
    selection = tuple(
        draw(st.lists(st.sampled_from(sorted(SELECT_OPTIONS)), max_size=3, unique=True))
    )
    if selection == ("RECURSIVEMATCH",):
        selection = ("SUBSCRIBED", "RECURSIVEMATCH")
    returns = tuple(
        draw(st.lists(st.sampled_from(sorted(RETURN_OPTIONS)), max_size=3, unique=True))
    )
    status = draw(
        st.none()
        | st.lists(st.sampled_from(sorted(STATUS_ITEMS)), min_size=1, max_size=3).map(tuple)
    )
    patterns = tuple(draw(st.lists(wire_texts, min_size=1, max_size=3)))
    return List(tag, draw(mailboxes), patterns, selection, returns, status, draw(st.booleans()))


@st.composite
def appends(draw: st.DrawFn, tag: str) -> Append:
    kind = draw(st.sampled_from(["plain", "binary", "utf8"]))
    message = draw(st.binary(max_size=60))
    if kind == "plain":
        message = message.replace(b"\x00", b"")
    return Append(
        tag,
        draw(mailboxes),
        message,
        draw(st.none() | flag_lists),
        draw(st.none() | date_times),
        binary=kind == "binary",
        utf8=kind == "utf8",
    )


def commands(tag: str) -> st.SearchStrategy[object]:
    return st.one_of(
        st.sampled_from(
            [Capability, Noop, Logout, StartTLS, Namespace, Check, Close, Unselect, Idle]
        ).map(lambda cls: cls(tag)),
        st.builds(Id, st.just(tag), id_params),
        st.builds(Authenticate, st.just(tag), atoms, st.none() | st.binary(max_size=30)),
        st.builds(Login, st.just(tag), wire_texts, wire_texts),
        st.builds(Enable, st.just(tag), st.lists(atoms, min_size=1, max_size=3).map(tuple)),
        st.builds(Select, st.just(tag), mailboxes, st.booleans(), qresyncs),
        st.builds(Examine, st.just(tag), mailboxes, st.booleans(), qresyncs),
        st.builds(Create, st.just(tag), mailboxes, flag_lists),
        st.sampled_from([Delete, Subscribe, Unsubscribe]).flatmap(
            lambda cls: st.builds(cls, st.just(tag), mailboxes)
        ),
        st.builds(Rename, st.just(tag), mailboxes, mailboxes),
        lists(tag),
        st.builds(Lsub, st.just(tag), mailboxes, wire_texts),
        st.builds(
            Status,
            st.just(tag),
            mailboxes,
            st.lists(st.sampled_from(sorted(STATUS_ITEMS)), min_size=1, max_size=4).map(tuple),
        ),
        appends(tag),
        st.builds(Expunge, st.just(tag), st.none() | uid_sets),
        st.builds(
            Store,
            st.just(tag),
            sequence_sets,
            st.sampled_from(["", "+", "-"]),
            flag_lists,
            st.booleans(),
            st.booleans(),
            st.none() | number64,
        ),
        st.sampled_from([Copy, Move]).flatmap(
            lambda cls: st.builds(cls, st.just(tag), sequence_sets, mailboxes, st.booleans())
        ),
        fetches(tag),
        st.builds(
            Search,
            st.just(tag),
            st.lists(search_keys, min_size=1, max_size=3).map(tuple),
            st.none() | atoms,
            st.none()
            | st.lists(st.sampled_from(["MIN", "MAX", "ALL", "COUNT", "SAVE"]), max_size=3).map(
                tuple
            ),
            st.booleans(),
        ),
    )


# -- responses -----------------------------------------------------------------

response_codes = st.one_of(
    st.builds(
        ResponseCode, st.sampled_from(["UIDNEXT", "UIDVALIDITY", "UNSEEN", "HIGHESTMODSEQ"]), nz32
    ),
    st.builds(ResponseCode, st.just("CAPABILITY"), st.lists(atoms, max_size=4).map(tuple)),
    st.builds(ResponseCode, st.just("PERMANENTFLAGS"), flag_lists.map(lambda f: (*f, "\\*"))),
    st.builds(ResponseCode, st.just("BADCHARSET"), st.lists(atoms, max_size=3).map(tuple)),
    st.builds(ResponseCode, st.just("APPENDUID"), st.tuples(nz32, uid_sets)),
    st.builds(ResponseCode, st.just("COPYUID"), st.tuples(nz32, uid_sets, uid_sets)),
    st.builds(ResponseCode, st.just("MODIFIED"), uid_sets),
    st.builds(
        ResponseCode,
        st.sampled_from(["ALERT", "READ-ONLY", "READ-WRITE", "TRYCREATE", "CLOSED", "NOMODSEQ"]),
    ),
    st.builds(
        ResponseCode,
        atoms.map(str.upper).filter(
            lambda a: (
                a
                not in {
                    "UIDNEXT",
                    "UIDVALIDITY",
                    "UNSEEN",
                    "HIGHESTMODSEQ",
                    "CAPABILITY",
                    "PERMANENTFLAGS",
                    "BADCHARSET",
                    "APPENDUID",
                    "COPYUID",
                    "MODIFIED",
                }
            )
        ),
        st.none() | resp_texts.filter(lambda t: t and "]" not in t),
    ),
)
namespaces = st.none() | st.lists(
    st.builds(
        NamespaceDescr,
        texts,
        nstrings,
        st.lists(
            st.tuples(texts, st.lists(texts, min_size=1, max_size=2).map(tuple)), max_size=2
        ).map(tuple),
    ),
    min_size=1,
    max_size=2,
).map(tuple)
tagged_ext_inner = st.recursive(
    texts, lambda inner: st.lists(inner, max_size=3).map(tuple), max_leaves=4
)
tagged_ext_values = nz32 | st.lists(tagged_ext_inner, max_size=3).map(tuple)
body_sections = st.one_of(
    st.builds(BodySection, st.just("BODY"), sections, data, st.none() | st.integers(0, MAX32)),
    st.builds(BodySection, st.just("BINARY"), binary_sections, st.none() | st.binary(max_size=30)),
    st.builds(
        BodySection,
        st.sampled_from(["RFC822", "RFC822.HEADER", "RFC822.TEXT"]),
        st.just(Section()),
        data,
    ),
)


@st.composite
def fetch_responses(draw: st.DrawFn) -> FetchResponse:
    fields = {
        "flags": st.none() | flag_lists,
        "uid": st.none() | nz32,
        "modseq": st.none() | st.integers(1, MAX63),
        "internal_date": st.none() | date_times,
        "rfc822_size": st.none() | number64,
        "envelope": st.none() | envelopes,
        "body": st.none() | bodies(ext=False),
        "body_structure": st.none() | bodies(ext=True),
        "sections": st.lists(body_sections, max_size=2).map(tuple),
        "binary_sizes": st.lists(
            st.tuples(st.lists(st.integers(1, 99), max_size=2).map(tuple), number64), max_size=2
        ).map(tuple),
    }
    values = {name: draw(strategy) for name, strategy in fields.items()}
    if all(v is None or v == () for v in values.values()):
        values["uid"] = draw(nz32)
    return FetchResponse(draw(nz32), **values)


responses = st.one_of(
    st.builds(Continuation, resp_texts),
    st.builds(
        TaggedResponse,
        tags,
        st.sampled_from(["OK", "NO", "BAD"]),
        resp_texts,
        st.none() | response_codes,
    ),
    st.builds(
        UntaggedStatus,
        st.sampled_from(["OK", "NO", "BAD", "PREAUTH", "BYE"]),
        resp_texts,
        st.none() | response_codes,
    ),
    st.builds(CapabilityResponse, st.lists(atoms, max_size=5).map(tuple)),
    st.builds(
        ListResponse,
        flag_lists,
        st.none() | st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        mailboxes,
        st.lists(st.tuples(texts, tagged_ext_values), max_size=2).map(tuple),
        st.booleans(),
    ),
    st.builds(
        MailboxStatus,
        mailboxes,
        st.lists(st.tuples(st.sampled_from(sorted(STATUS_ITEMS)), number64), max_size=4).map(tuple),
    ),
    st.builds(SearchResponse, st.lists(nz32, max_size=8).map(tuple), st.none() | number64),
    st.builds(
        ESearchResponse,
        st.none() | texts,
        st.booleans(),
        st.none() | nz32,
        st.none() | nz32,
        st.none() | st.integers(0, MAX32),
        st.none() | sequence_sets,
        st.none() | number64,
    ),
    st.builds(FlagsResponse, flag_lists),
    st.builds(ExistsResponse, st.integers(0, MAX32)),
    st.builds(RecentResponse, st.integers(0, MAX32)),
    st.builds(ExpungeResponse, nz32),
    st.builds(EnabledResponse, st.lists(atoms, max_size=3).map(tuple)),
    st.builds(NamespaceResponse, namespaces, namespaces, namespaces),
    st.builds(IdResponse, id_params),
    st.builds(VanishedResponse, uid_sets, st.booleans()),
    fetch_responses(),
)
