"""Transport torture: 8bit and binary bodies, line limits, dots, whitespace, From lines."""

from __future__ import annotations

from harness.mail import mime
from harness.mail.encoding import CRLF
from harness.mail.kinds.base import Built, Draft, Kind, header
from harness.mail.mime import MAX_LINE
from harness.mail.text import UTF8_SAMPLES, exact_filler, paragraphs, sentence, words


def eight_bit_body(draft: Draft) -> Built:
    lines = [*draft.rng.sample(UTF8_SAMPLES, 5), sentence(draft.rng), ""]
    body = "\r\n".join(lines).encode("utf-8")
    return Built(mime.text(body, transfer_encoding="8bit"))


def _binary_content(draft: Draft, size: int) -> bytes:
    """Octets 1-255 with bare CR, bare LF and a run longer than 998 without CRLF.

    NUL stays out: catalogue XP-SMTP-IMAP-BYTES asks for "NUL-free binary"
    (IMAP literals cannot carry NUL without BINARY). The last octet is not
    CR or LF, so the CRLF of the next delimiter cannot merge with it.
    """
    payload = bytearray(draft.binary_payload(size).replace(b"\0", b"\x01"))
    payload[10:13] = b"a\rb"
    payload[20:23] = b"c\nd"
    payload[100 : 100 + MAX_LINE + 10] = bytes(range(0x80, 0x80 + 100)) * 10 + b"\xff" * 8
    payload[-1:] = b"z"
    return bytes(payload)


def binary_body(draft: Draft) -> Built:
    content = _binary_content(draft, draft.rng.randint(4096, 64 * 1024))
    parts = [
        mime.text("The second part is binary: BDAT with BODY=BINARYMIME only.\r\n"),
        mime.leaf("application/octet-stream", content, transfer_encoding="binary"),
    ]
    return Built(mime.multipart("mixed", parts, draft.boundary()), binary=True)


def long_lines(draft: Draft) -> Built:
    rng = draft.rng
    # A header line of exactly 998 octets before its CRLF (RFC 5322 §2.1.1).
    name = "X-Mailharness-Long-Line: "
    header_line = name.encode() + exact_filler(rng, MAX_LINE - len(name) + 2, width=MAX_LINE)
    spaced = exact_filler(rng, MAX_LINE + 2, width=MAX_LINE)
    unbroken = b"x" * MAX_LINE + CRLF
    # 998 dots: 999 octets once dot-stuffed, which RFC 5321 §4.5.3.1.6 allows
    # ("not counting the leading dot duplicated for transparency").
    dots = b"." * MAX_LINE + CRLF
    body = paragraphs(rng, 1).encode() + spaced + unbroken + dots
    return Built(mime.text(body, charset="us-ascii"), headers=(header_line,))


def quoted_printable_soft_wraps(draft: Draft) -> Built:
    rng = draft.rng
    long_line = " ".join([rng.choice(UTF8_SAMPLES), words(rng, 80), "a=b", "100%"] * 3)
    lines = [
        long_line,
        "trailing spaces   ",
        "trailing tab\t",
        "=3D is not decoded twice, and = alone is an equals sign",
        "x" * 300,
        "",
    ]
    body = "\r\n".join(lines).encode("utf-8")
    return Built(mime.text(body, transfer_encoding="quoted-printable"))


def leading_dots(draft: Draft) -> Built:
    rng = draft.rng
    # RFC 5321 §4.5.2: each line starting with "." gains one on the wire; a
    # lost or doubled dot shows in the hash. It starts and ends with ".".
    lines = [
        ".",
        "..",
        "...",
        f".{words(rng, 3)}",
        sentence(rng),
        ". a dot and a space",
        "..double dot line",
        ".\t",
        "",
        ".",
        "",
    ]
    body = "\r\n".join(lines).encode("ascii")
    return Built(mime.text(body, charset="us-ascii"))


def trailing_whitespace(draft: Draft) -> Built:
    rng = draft.rng
    lines = [
        f"{sentence(rng)} ",
        f"{sentence(rng)}\t",
        f"{sentence(rng)}  \t ",
        "   ",
        "\t",
        "",
        f"{sentence(rng)}   ",
        "",
    ]
    body = "\r\n".join(lines).encode("ascii")
    # Unstructured header values may end in whitespace (RFC 5322 §3.2.5).
    field = header("X-Mailharness-Trailing", "value with trailing blanks \t ")
    return Built(mime.text(body, charset="us-ascii"), headers=(field,))


def mbox_from_lines(draft: Draft) -> Built:
    # mbox stores escape these as ">From " on write (catalogue SEC-NO-FROM-MUNGING).
    lines = [
        "From here on, every line matters.",
        sentence(draft.rng),
        "From: not a header, body text",
        ">From an already quoted line",
        ">>From twice quoted",
        "From ",
        "",
    ]
    body = "\r\n".join(lines).encode("ascii")
    return Built(mime.text(body, charset="us-ascii"))


def bare_newlines(draft: Draft) -> Built:
    # Deliberately outside RFC 5322 §2.3 ("CR and LF MUST only occur together
    # as CRLF"): sequences SMTP smuggling uses. Built by hand, past the checks.
    body = (
        b"A bare LF follows\nand a bare CR follows\rthen CRLF.\r\n"
        b"Smuggling shapes: \n.\n and \r\n.\n and \n.\r\n and \r.\r end.\r\n"
    )
    content_type = b"Content-Type: text/plain; charset=us-ascii" + CRLF
    part = mime.Part(
        (content_type, b"Content-Transfer-Encoding: 7bit" + CRLF),
        body,
        (mime.Leaf("text/plain", body),),
    )
    return Built(part, valid_for_smtp=False)


KINDS = (
    Kind(
        "8bit-body",
        "UTF-8 text/plain, Content-Transfer-Encoding: 8bit (8BITMIME)",
        eight_bit_body,
        ("MIME-8BIT-BINARY", "SMTP-8BITMIME", "SMTP-DATA-8BIT-TRANSPARENT"),
    ),
    Kind(
        "binary-body",
        "a binary part with bare CR/LF and a long run (BDAT + BINARYMIME)",
        binary_body,
        ("MIME-8BIT-BINARY", "SMTP-BINARYMIME", "SMTP-CHUNKING-BDAT"),
    ),
    Kind(
        "long-lines",
        "a 998-octet header line and 998-octet body lines",
        long_lines,
        ("MSG-LINE-998", "SMTP-DATA-LINE-1000"),
    ),
    Kind(
        "quoted-printable",
        "quoted-printable soft wraps, =3D, trailing blanks as =20/=09",
        quoted_printable_soft_wraps,
        ("MIME-QP", "SEC-NO-REWRAP-NO-WS"),
    ),
    Kind(
        "leading-dots",
        'lines ".", "..", "...", ".text": dot-stuffing torture',
        leading_dots,
        ("SMTP-DATA-DOTSTUFF", "SMTP-DATA-EOD"),
    ),
    Kind(
        "trailing-whitespace",
        "lines ending in spaces and tabs, blank-only lines",
        trailing_whitespace,
        ("SEC-NO-REWRAP-NO-WS", "SEC-SMIME-CANON"),
    ),
    Kind(
        "mbox-from-lines",
        'body lines starting "From " and ">From "',
        mbox_from_lines,
        ("SEC-NO-FROM-MUNGING",),
    ),
    Kind(
        "bare-newline",
        "bare CR and bare LF in the body: NOT valid for SMTP",
        bare_newlines,
        ("SMTP-DATA-BARE-LF-NOT-EOD", "SMTP-DATA-BARE-CR-LF", "SMTP-SMUGGLE-INBOUND"),
        in_default_set=False,
    ),
)
