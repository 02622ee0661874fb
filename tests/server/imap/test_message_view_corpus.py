"""MessageView against varied real messages: the corpus generator
(``harness.mail``), generated multipart trees (hypothesis) whose part
offsets are known, and fuzzed bytes that must never crash a FETCH."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.mail.corpus import CorpusMessage, generate
from harness.protocols.imap.bodystructure import read_body, write_body, write_envelope
from harness.protocols.imap.framing import FramedUnit, IMAPLimits
from harness.protocols.imap.lexer import Reader
from harness.protocols.imap.values import Body, BodyPart, Multipart, Section
from harness.protocols.imap.writer import Writer
from harness.server.imap.message_view import MessageView

CORPUS = generate(20240601, 63) + generate(7, 2, kinds=["bare-newline", "large-attachment"])


def leaf_paths(
    body: Body, prefix: tuple[int, ...] = ()
) -> Iterator[tuple[tuple[int, ...], BodyPart]]:
    """Every non-multipart part in document order, with its section number;
    inside a message/rfc822 part, the parts of the encapsulated message."""
    if isinstance(body, Multipart):
        for number, part in enumerate(body.parts, 1):
            yield from leaf_paths(part, (*prefix, number))
    elif body.is_message and body.body is not None:
        inner = body.body
        yield from leaf_paths(inner, prefix if isinstance(inner, Multipart) else (*prefix, 1))
    else:
        yield (prefix or (1,)), body


def wire(body: Body) -> bytes:
    """One line: UTF-8 goes in quoted strings (as for an IMAP4rev2 client)."""
    w = Writer(utf8=True)
    write_body(w, body)
    return b"".join(w.finish())


@pytest.mark.parametrize("message", CORPUS, ids=[m.name for m in CORPUS])
def test_corpus_message(message: CorpusMessage) -> None:
    view = MessageView(message.raw)
    structure = view.body_structure(extensions=True)
    # What the server writes, the core reads back unchanged.
    encoded = wire(structure)
    assert read_body(Reader(FramedUnit([encoded[:-2]], []), IMAPLimits(), utf8=True)) == structure
    write_envelope(Writer(), view.envelope())
    assert view.section(Section(text="HEADER")) + view.section(Section(text="TEXT")) == message.raw
    assert view.section(Section()) == message.raw
    assert_parts_are_slices(view, structure)
    assert_leaves_decode(view, structure, message)


def assert_parts_are_slices(view: MessageView, structure: Body) -> None:
    for path, part in leaf_paths(structure):
        mime, body = view.section(Section(path, "MIME")), view.section(Section(path))
        assert mime + body in view.raw
        assert part.size == len(body)
        if part.lines is not None:
            assert part.lines == body.count(b"\n")


def assert_leaves_decode(view: MessageView, structure: Body, message: CorpusMessage) -> None:
    paths = [path for path, _ in leaf_paths(structure)]
    decoded = [view.binary(path) for path in paths]
    if message.kind == "header-only":
        assert decoded == [b""]
        return
    assert decoded == [leaf.payload for leaf in message.leaves]


@pytest.mark.parametrize("message", CORPUS[:21], ids=[m.name for m in CORPUS[:21]])
def test_corpus_decoded_headers_are_searchable(message: CorpusMessage) -> None:
    view = MessageView(message.raw)
    for field, text in message.decoded_headers:
        probe = text.split("<")[0].strip()[:20] or text
        assert any(probe.casefold() in v.casefold() for v in view.header_values(field)), field


@pytest.mark.parametrize("message", CORPUS[:21], ids=[m.name for m in CORPUS[:21]])
def test_corpus_text_leaves_are_searchable(message: CorpusMessage) -> None:
    view = MessageView(message.raw)
    for leaf in message.leaves:
        if not leaf.content_type.startswith("text/"):
            continue
        words = re.findall(r"\w{5,}", leaf.payload.decode("utf-8", "replace"))
        for word in words[:3]:
            assert view.text_contains(word.upper(), headers=False), word


# -- generated multipart trees with known offsets -----------------------------


@dataclass(frozen=True)
class Tree:
    """A generated entity: a leaf (header, content) or a multipart of children."""

    header: bytes = b""
    content: bytes = b""
    children: tuple[Tree, ...] = ()


@dataclass
class Expected:
    sections: dict[tuple[int, ...], bytes]  # BODY[path] of every part
    mimes: dict[tuple[int, ...], bytes]  # BODY[path.MIME]


_CONTENT_LINE = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30
).map(lambda s: s.lstrip("-"))  # never a boundary line
_CONTENT = st.lists(_CONTENT_LINE, max_size=4).map(lambda lines: "\r\n".join(lines).encode())
_BOUNDARY_CHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,./:=?"


@st.composite
def trees(draw: st.DrawFn, depth: int = 0) -> Tree:
    if depth < 3 and draw(st.booleans()):
        count = draw(st.integers(1, 4))
        return Tree(children=tuple(draw(trees(depth + 1)) for _ in range(count)))
    subtype = draw(st.sampled_from(["plain", "html", "x-data"]))
    header = f"Content-Type: text/{subtype}\r\n".encode() if draw(st.booleans()) else b""
    return Tree(header, draw(_CONTENT))


def render(
    tree: Tree, path: tuple[int, ...], out: Expected, seed: str, pad: bytes
) -> tuple[bytes, bytes]:
    """(header section with its empty line, body) of ``tree``, recording
    what each part's BODY[path] and BODY[path.MIME] must be."""
    if not tree.children:
        return tree.header + b"\r\n", tree.content
    # Unique per path, and all the same length at one depth: no boundary is
    # a prefix of another, so no content line can be read as a delimiter.
    boundary = f"{seed}{len(path)}x{'.'.join(map(str, path))}".encode()
    head = b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n'
    body = b"preamble\r\n"
    for number, child in enumerate(tree.children, 1):
        child_path = (*path, number)
        child_head, child_body = render(child, child_path, out, seed, pad)
        out.mimes[child_path], out.sections[child_path] = child_head, child_body
        body += b"--" + boundary + pad + b"\r\n" + child_head + child_body + b"\r\n"
    body += b"--" + boundary + b"--" + pad + b"\r\nepilogue\r\n"
    return head, body


def leaves_of(tree: Tree, path: tuple[int, ...] = ()) -> Iterator[tuple[int, ...]]:
    if not tree.children:
        yield path or (1,)
    for number, child in enumerate(tree.children, 1):
        yield from leaves_of(child, (*path, number))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    tree=trees(),
    seed=st.text(alphabet=_BOUNDARY_CHARS, min_size=1, max_size=20),
    pad=st.sampled_from([b"", b" ", b"\t \t"]),  # transport padding
)
def test_generated_parts_are_exact_slices(tree: Tree, seed: str, pad: bytes) -> None:
    out = Expected({}, {})
    head, body = render(tree, (), out, seed, pad)
    raw = b"Subject: generated\r\n" + head + body
    view = MessageView(raw)
    assert view.section(Section()) == raw
    if not tree.children:
        assert view.section(Section((1,))) == body
    for path, expected in out.sections.items():
        assert view.section(Section(path)) == expected, path
        assert view.section(Section(path, "MIME")) == out.mimes[path], path
    structure = view.body_structure(extensions=True)
    assert [path for path, _ in leaf_paths(structure)] == list(leaves_of(tree))


# -- fuzzing: no input crashes a FETCH ----------------------------------------

_PIECES = st.sampled_from(
    [
        b"Content-Type: multipart/mixed; boundary=b\r\n",
        b"Content-Type: message/rfc822\r\n",
        b"Content-Type: text/plain; charset*=x'y'%ZZ; name*0=\"a\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"Content-Transfer-Encoding: quoted-printable\r\n",
        b"Content-Disposition: ;;=\r\n",
        b"Content-Language: ,,\r\n",
        b'From: <@:>, "unterminated <a@b>\r\n',
        b"To: g: ; h: <x>;, (((\r\n",
        b"Subject: =?utf-8?b?###?= \xff\xfe\r\n",
        b"Date: 31 Feb 99999 99:99\r\n",
        b" folded continuation\r\n",
        b"no colon line\r\n",
        b"\r\n",
        b"\n",
        b"--b\r\n",
        b"--b--\r\n",
        b"=ZZ=\r\n",
        b"\x00\x80\r",
    ]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(st.one_of(_PIECES, st.binary(max_size=12)), max_size=25))
def test_fuzzed_messages_never_crash(pieces: list[bytes]) -> None:
    raw = b"".join(pieces)
    view = MessageView(raw)
    structure = view.body_structure(extensions=True)
    wire(structure)
    write_envelope(Writer(), view.envelope())
    for path, _ in leaf_paths(structure):
        view.section(Section(path, "MIME"))
        view.binary(path)
    view.section(Section((1,), "HEADER.FIELDS.NOT", ("Subject",)))
    view.header_values("From")
    view.sent_date()
    view.text_contains("x", headers=True)
