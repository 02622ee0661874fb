"""MIME structure torture: deep nesting, boundary edge cases, attached messages."""

from __future__ import annotations

from harness.mail import mime
from harness.mail.encoding import CRLF
from harness.mail.kinds.base import Built, Draft, Kind, header
from harness.mail.text import html_document, paragraphs, sentence

# The order real clients nest in: attachments around alternatives around
# an HTML body with its inline images; deeper levels repeat the cycle.
_NESTING = ("mixed", "alternative", "related")


def _inline_image(draft: Draft, level: int) -> mime.Part:
    content_id = f"<image{level}.{draft.rng.getrandbits(32):08x}@corpus.mailharness.test>"
    return mime.leaf(
        "image/gif",
        draft.binary_payload(draft.rng.randint(100, 2000)),
        transfer_encoding="base64",
        extra_headers=(header("Content-ID", content_id), header("Content-Disposition", "inline")),
    )


def _level(draft: Draft, level: int, depth: int, boundaries: list[str]) -> mime.Part:
    subtype = _NESTING[level % len(_NESTING)]
    if subtype == "related":
        first = mime.text(html_document(draft.rng, f"level {level}"), subtype="html")
    else:
        first = mime.text(f"Level {level} ({subtype}). {sentence(draft.rng)}\r\n")
    children = [first]
    if level + 1 < depth:
        children.append(_level(draft, level + 1, depth, boundaries))
    if subtype == "related":
        children.append(_inline_image(draft, level))
    elif subtype == "mixed":
        children.append(
            mime.attachment(
                draft.binary_payload(300), "application/octet-stream", f"level{level}.bin"
            )
        )
    return mime.multipart(subtype, children, boundaries[level])


def nested_multipart(draft: Draft) -> Built:
    depth = draft.rng.randint(4, 6)
    # Each inner boundary is a prefix of the one around it (catalogue
    # MIME-BOUNDARY): legal, since "--inner" never starts an outer line's
    # content, and a classic trap for parsers that match by prefix.
    # The suffix is "_", not "-": "--b--" closing an inner "b" must not read
    # as a delimiter of an outer "b--".
    innermost = draft.boundary()
    boundaries = [innermost + "_" * (depth - 1 - level) for level in range(depth)]
    return Built(_level(draft, 0, depth, boundaries))


def multipart_boundaries(draft: Draft) -> Built:
    rng = draft.rng
    longest = (draft.boundary() + "_" * 70)[:70]  # the 70-character maximum
    spaced = f"with spaces {rng.getrandbits(32):08x}"  # bchars include space: quoted parameter
    alternative = mime.multipart(
        "alternative",
        [mime.text(paragraphs(rng, 1)), mime.text(html_document(rng, "spaced"), subtype="html")],
        spaced,
    )
    shortest = mime.multipart("mixed", [mime.text(sentence(rng) + "\r\n")], "z")
    parts = [mime.text(paragraphs(rng, 1)), alternative, shortest]
    root = mime.multipart(
        "mixed",
        parts,
        longest,
        preamble=b"This is the preamble: MIME readers ignore it." + CRLF,
        epilogue=b"This is the epilogue, after the close delimiter." + CRLF,
        transport_padding=b" \t ",
    )
    return Built(root)


def _inner_message(draft: Draft) -> tuple[bytes, mime.Part]:
    rng = draft.rng
    body = mime.multipart(
        "alternative",
        [mime.text(paragraphs(rng, 1)), mime.text(html_document(rng, "forwarded"), subtype="html")],
        draft.boundary(),
    )
    fields = (
        header("Date", "Tue, 02 Jan 2024 10:00:00 +0000"),
        header("From", "Original Sender <original@mailharness.test>"),
        header("To", "Recipient <recipient@mailharness.test>"),
        header("Subject", "the forwarded original"),
        header("Message-ID", f"<inner.{rng.getrandbits(48):012x}@corpus.mailharness.test>"),
        header("MIME-Version", "1.0"),
    )
    return b"".join(fields) + body.to_bytes(), body


def message_rfc822(draft: Draft) -> Built:
    inner_bytes, inner_root = _inner_message(draft)
    parts = [
        mime.text("Forwarding the message attached below.\r\n"),
        mime.message_rfc822(inner_bytes, inner_root.leaves),
    ]
    return Built(mime.multipart("mixed", parts, draft.boundary()))


KINDS = (
    Kind(
        "nested-multipart",
        "mixed > alternative > related > ... 4-6 levels, inner boundaries prefixes of outer",
        nested_multipart,
        ("MIME-BOUNDARY",),
    ),
    Kind(
        "multipart-boundaries",
        "70-char, 1-char and quoted boundaries; preamble, epilogue, transport padding",
        multipart_boundaries,
        ("MIME-BOUNDARY",),
    ),
    Kind(
        "message-rfc822",
        "a forwarded message/rfc822 attachment with its own multipart body",
        message_rfc822,
        ("MIME-MESSAGE-RFC822",),
    ),
)
