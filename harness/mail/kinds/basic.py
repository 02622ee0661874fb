"""Everyday shapes: plain text, alternative, attachments, empty and header-only."""

from __future__ import annotations

from harness.mail import mime
from harness.mail.kinds.base import Built, Draft, Kind, header
from harness.mail.text import html_document, paragraphs

MEGABYTE = 1024 * 1024


def plain_7bit(draft: Draft) -> Built:
    body = paragraphs(draft.rng, draft.rng.randint(2, 6))
    return Built(mime.text(body, charset="us-ascii"))


def multipart_alternative(draft: Draft) -> Built:
    plain = mime.text(paragraphs(draft.rng, 3))
    # quoted-printable for the HTML: its attributes put "=" signs on the wire as =3D.
    html = mime.text(
        html_document(draft.rng, draft.label),
        subtype="html",
        transfer_encoding="quoted-printable",
    )
    return Built(mime.multipart("alternative", [plain, html], draft.boundary()))


def _binary_attachment(draft: Draft, size: int, filename: str) -> mime.Part:
    return mime.attachment(draft.binary_payload(size), "application/octet-stream", filename)


def multipart_mixed(draft: Draft) -> Built:
    rng = draft.rng
    parts = [mime.text(paragraphs(rng, 2))]
    parts.append(_binary_attachment(draft, rng.randint(1024, 64 * 1024), "data.bin"))
    parts.append(
        mime.attachment(draft.binary_payload(rng.randint(200, 4000)), "image/png", "pixel.png")
    )
    csv = "id,name,count\r\n" + "".join(f"{i},row{i},{rng.randint(0, 999)}\r\n" for i in range(20))
    parts.append(
        mime.attachment(csv.encode("ascii"), "text/csv", "table.csv", transfer_encoding="7bit")
    )
    return Built(mime.multipart("mixed", parts, draft.boundary()))


def large_attachment(draft: Draft) -> Built:
    # 1-5 MB on the wire: base64 turns 57 octets into a 78-octet line.
    size = draft.rng.randint(1 * MEGABYTE, 5 * MEGABYTE) * 57 // 78
    parts = [
        mime.text(paragraphs(draft.rng, 1)),
        _binary_attachment(draft, size, "large.bin"),
    ]
    return Built(mime.multipart("mixed", parts, draft.boundary()))


def empty_body(draft: Draft) -> Built:
    return Built(mime.text(b""), headers=(header("Subject", "empty body"),))


def header_only(draft: Draft) -> Built:
    # RFC 5322 §3.5: the body, and the empty line before it, are optional.
    return Built(None, headers=(header("Subject", "header section only, no empty line"),))


KINDS = (
    Kind("plain-7bit", "US-ASCII text/plain, 7bit", plain_7bit, ("MSG-CRLF-CANON",)),
    Kind(
        "multipart-alternative",
        "text/plain and quoted-printable text/html alternatives",
        multipart_alternative,
        ("MIME-BOUNDARY", "MIME-QP"),
    ),
    Kind(
        "multipart-mixed",
        "text plus base64 binary, PNG and 7bit CSV attachments",
        multipart_mixed,
        ("MIME-BASE64", "MSG-CRLF-CANON"),
    ),
    Kind(
        "large-attachment",
        "a 1-5 MB base64 attachment",
        large_attachment,
        ("MIME-BASE64",),
        in_default_set=False,
    ),
    Kind("empty-body", "headers, the empty line, and no body", empty_body, ("MSG-CRLF-CANON",)),
    Kind(
        "header-only",
        "a header section with no empty line after it",
        header_only,
        ("MIME-DEFAULT-CT",),
    ),
)
