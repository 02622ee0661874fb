"""Deterministic filler: words, wrapped paragraphs and non-ASCII samples.

Everything is drawn from a ``random.Random`` the caller seeded, so the same
seed gives the same text. Samples in other scripts are fixed strings whose
charsets are known (checked in tests/mail), not random code points: a
corpus must be valid in the charset it declares.
"""

from __future__ import annotations

import random

_VOCABULARY = (
    "mail server message header body folder inbox relay queue session reply "
    "command mailbox envelope sender recipient domain transfer encoding "
    "boundary part attachment signature delivery report status account "
    "client protocol network packet trace load profile check result "
    "quick brown fox jumps over lazy dog the and of to in is it for on with"
)
WORDS = tuple(_VOCABULARY.split())

# One short sentence per script; all encodable in UTF-8.
UTF8_SAMPLES = (
    "Grüße aus Köln, schöne Straße",
    "Ελληνικά: καλημέρα κόσμε",
    "Русский текст: съешь же ещё этих мягких булок",
    "日本語のテキスト、メールのテスト",
    "中文邮件测试，一切正常",
    "한국어 메일 시험",
    "emoji 📬 ✉️ 🚀 in a line",
    "עברית: בדיקת דואר",
    "Čeština: příliš žluťoučký kůň",
)

LATIN1_SAMPLES = (
    "Café crème, naïve façade",
    "Ångström à la carte, señor",
    "Grüß Gott, Müller & Söhne",
)

GB2312_SAMPLES = ("中文邮件测试", "你好，世界", "测试主题：会议通知")

# Names with characters outside GB2312 that GBK encodes (喆, 镕, 堃, 玥).
GBK_ONLY_SAMPLES = ("王喆", "朱镕基", "李堃", "张玥")


def words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def sentence(rng: random.Random, minimum: int = 4, maximum: int = 12) -> str:
    body = words(rng, rng.randint(minimum, maximum))
    return body[0].upper() + body[1:] + "."


def wrapped_lines(text: str, width: int = 72) -> list[str]:
    """``text`` broken at spaces into lines of at most ``width`` characters."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines


def paragraphs(rng: random.Random, count: int, width: int = 72) -> str:
    """``count`` paragraphs separated by empty lines, CRLF line breaks, ending in CRLF."""
    blocks = []
    for _ in range(count):
        prose = " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))
        blocks.append("\r\n".join(wrapped_lines(prose, width)))
    return "\r\n\r\n".join(blocks) + "\r\n"


def exact_filler(rng: random.Random, octets: int, width: int = 72) -> bytes:
    """ASCII text lines ending in CRLF, exactly ``octets`` long (at least 2).

    No line ends in a space or starts with a dot, so the filler is neutral:
    it does not itself exercise trailing-whitespace or dot-stuffing paths.
    """
    if octets < 2:
        raise ValueError("filler of CRLF-terminated lines needs at least 2 octets")
    lines: list[bytes] = []
    remaining = octets
    while remaining:
        length = min(width, remaining - 2)
        if remaining - (length + 2) == 1:  # a lone octet could not end in CRLF
            length -= 1
        lines.append(_line_of(rng, length) + b"\r\n")
        remaining -= length + 2
    return b"".join(lines)


def _line_of(rng: random.Random, length: int) -> bytes:
    line = words(rng, length // 3 + 1)[:length]
    if line.endswith(" "):
        line = line[:-1] + "x"
    return line.encode("ascii")


def html_document(rng: random.Random, title: str, body_paragraphs: int = 2) -> str:
    """A small HTML page, CRLF line breaks, ending in CRLF."""
    paras = "\r\n".join(f"<p>{sentence(rng)} {sentence(rng)}</p>" for _ in range(body_paragraphs))
    return (
        '<!DOCTYPE html>\r\n<html><head><meta charset="utf-8">'
        f"<title>{title}</title></head>\r\n<body>\r\n{paras}\r\n</body></html>\r\n"
    )
