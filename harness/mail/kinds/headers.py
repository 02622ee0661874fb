"""Header torture: RFC 2047 encoded-words, RFC 2231 parameters, folding, SMTPUTF8."""

from __future__ import annotations

from harness.mail import mime
from harness.mail.encoding import CRLF, encoded_words, fold, quoted_continuations, rfc2231_parameter
from harness.mail.kinds.base import Built, Draft, Kind, header
from harness.mail.text import (
    GB2312_SAMPLES,
    GBK_ONLY_SAMPLES,
    LATIN1_SAMPLES,
    UTF8_SAMPLES,
    paragraphs,
    sentence,
    words,
)


def _address(display_words: list[str], address: str) -> str:
    return " ".join(display_words) + f" <{address}>"


def rfc2047_headers(draft: Draft) -> Built:
    rng = draft.rng
    # Long enough to need several encoded-words: adjacent words separated by
    # folding whitespace must be joined *without* a space (RFC 2047 §6.2).
    subject = f"{rng.choice(UTF8_SAMPLES)} / {rng.choice(UTF8_SAMPLES)} / {sentence(rng)}"
    sender_name = rng.choice(GB2312_SAMPLES)
    recipient_name = rng.choice(LATIN1_SAMPLES)
    copy_name = rng.choice(GBK_ONLY_SAMPLES)
    sender = _address(encoded_words(sender_name, "GB2312", "B"), "corpus@mailharness.test")
    recipient = _address(
        encoded_words(recipient_name, "ISO-8859-1", "Q"), "recipient@mailharness.test"
    )
    copy = _address(encoded_words(copy_name, "GBK", "B"), "copy@mailharness.test")
    subject_method = rng.choice(("B", "Q"))
    fields = (
        fold("Subject", encoded_words(subject, "UTF-8", subject_method)),
        fold("From", [sender]),
        fold("To", [recipient]),
        fold("Cc", [copy]),
    )
    decoded = (
        ("Subject", subject),
        ("From", sender_name),
        ("To", recipient_name),
        ("Cc", copy_name),
    )
    body = mime.text(paragraphs(rng, 2))
    return Built(body, headers=fields, decoded_headers=decoded)


def _document_name(draft: Draft) -> str:
    return f"{draft.rng.choice(UTF8_SAMPLES)} {draft.rng.getrandbits(16):04x}.txt"


def rfc2231_params(draft: Draft) -> Built:
    rng = draft.rng
    single = _document_name(draft)
    continued = (
        f"{draft.rng.choice(UTF8_SAMPLES)} {'long name ' * 4}{draft.rng.getrandbits(16):04x}.dat"
    )
    plain_continued = f"plain-ascii-name-{words(rng, 6).replace(' ', '-')}.txt"
    attachments = [
        mime.attachment(
            paragraphs(rng, 1).encode("ascii"),
            "text/plain",
            single,
            disposition_parameters=rfc2231_parameter("filename", single),
        ),
        mime.attachment(
            draft.binary_payload(500),
            "application/octet-stream",
            continued,
            disposition_parameters=rfc2231_parameter("filename", continued, section=24),
        ),
        mime.attachment(
            draft.binary_payload(200),
            "application/octet-stream",
            plain_continued,
            disposition_parameters=quoted_continuations("filename", plain_continued, 16),
        ),
    ]
    parts = [mime.text("Three attachments with RFC 2231 file names.\r\n"), *attachments]
    return Built(mime.multipart("mixed", parts, draft.boundary()))


def long_folded_header(draft: Draft) -> Built:
    rng = draft.rng
    references = [
        f"<{rng.getrandbits(64):016x}.{i}@thread.mailharness.test>"
        for i in range(rng.randint(30, 60))
    ]
    subject_words = words(rng, rng.randint(60, 120)).split()
    # An unstructured field longer than 998 octets once unfolded, folded so
    # that every physical line stays short; continuation lines start with TAB.
    comment_words = words(rng, 300).split()
    fields = (
        fold("Subject", subject_words),
        fold("References", references),
        fold("X-Mailharness-Long", comment_words, separator="\t"),
    )
    decoded = (
        ("Subject", " ".join(subject_words)),
        ("References", " ".join(references)),
    )
    return Built(mime.text(paragraphs(rng, 1)), headers=fields, decoded_headers=decoded)


_UTF8_LOCAL_PARTS = ("jöran", "用户", "δοκιμή", "пользователь", "ñandú")
_IDN_DOMAINS = ("bücher.mailharness.test", "例子.mailharness.test", "παράδειγμα.mailharness.test")


def smtputf8(draft: Draft) -> Built:
    rng = draft.rng
    sender = f"{rng.choice(_UTF8_LOCAL_PARTS)}@{rng.choice(_IDN_DOMAINS)}"
    recipient = f"{rng.choice(_UTF8_LOCAL_PARTS)}@{rng.choice(_IDN_DOMAINS)}"
    subject = rng.choice(UTF8_SAMPLES)
    # RFC 6532 §3: UTF-8 straight in the header fields, no encoded-words.
    fields = (
        header("From", f"Jöran Ünlü <{sender}>"),
        header("To", f"收件人 <{recipient}>"),
        header("Subject", subject),
    )
    body = "\r\n".join(rng.sample(UTF8_SAMPLES, 4)) + CRLF.decode()
    return Built(
        mime.text(body, transfer_encoding="8bit"),
        headers=fields,
        envelope_from=sender,
        envelope_to=(recipient,),
        decoded_headers=(("Subject", subject),),
    )


KINDS = (
    Kind(
        "rfc2047-headers",
        "encoded-words in UTF-8, GB2312, GBK and ISO-8859-1 (Subject, From, To, Cc)",
        rfc2047_headers,
        ("MIME-2047-WORDS",),
    ),
    Kind(
        "rfc2231-params",
        "filename*=UTF-8''..., filename*0*= continuations, quoted filename*0=",
        rfc2231_params,
        ("MIME-2231-PARAMS",),
    ),
    Kind(
        "long-folded-header",
        "Subject, References and an X- field folded across many lines",
        long_folded_header,
        ("MSG-FOLDING", "SEC-NO-REWRAP-NO-WS"),
    ),
    Kind(
        "smtputf8",
        "UTF-8 local parts and IDN domains in envelope and headers (RFC 6531/6532)",
        smtputf8,
        ("SMTP-SMTPUTF8", "POP3-UTF8", "IMAP-UTF8-ACCEPT"),
    ),
)
