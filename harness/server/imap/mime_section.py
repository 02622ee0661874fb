"""BODY[section] (RFC 3501 §6.4.5, RFC 9051 §6.4.5): which octets a section
names. Every result is a slice of the stored message (or, inside an encoded
message/rfc822, of its decoded octets), never a re-serialisation.

    section-spec    = section-msgtext / (section-part ["." section-text])
    section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"
    section-part    = nz-number *("." nz-number)
    section-text    = section-msgtext / "MIME"
"""

from __future__ import annotations

from harness.protocols.imap.values import Section
from harness.server.imap.mime_entity import Entity, Kind


def locate(root: Entity, part: tuple[int, ...]) -> Entity | None:
    """The body part numbered ``part`` (non-empty); None if there is none.

    RFC 3501 §6.4.5: "Every message has at least one part number.
    Non-[MIME-IMB] messages, and non-multipart [MIME-IMB] messages with no
    encapsulated message, only have a part 1." Below a message/rfc822 part,
    numbers go on in the encapsulated message: its parts if it is multipart,
    else its part 1 (its body).
    """
    node, in_message = root, True  # in_message: numbers count within node as a message
    for number in part:
        if not in_message and node.kind is Kind.MESSAGE and node.message is not None:
            node, in_message = node.message, True
        if node.kind is Kind.MULTIPART:
            if not 1 <= number <= len(node.children):
                return None
            node = node.children[number - 1]
        elif not (in_message and number == 1):
            return None
        in_message = False
    return node


def section_bytes(root: Entity, section: Section) -> bytes:
    """The octets of BODY[section]; b"" for a part that does not exist."""
    if not section.part:
        if section.text is None:
            return root.whole
        return _message_text(root, section)
    node = locate(root, section.part)
    if node is None:
        return b""
    if section.text is None:
        return node.body
    if section.text == "MIME":
        # "the [MIME-IMB] header for this part", with its empty line
        return node.header
    # "The HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, and TEXT part specifiers
    # can be ... prefixed by one or more numeric part specifiers, provided
    # that the numeric part specifier refers to a part of type MESSAGE/RFC822."
    if node.kind is not Kind.MESSAGE or node.message is None:
        return b""
    return _message_text(node.message, section)


def _message_text(message: Entity, section: Section) -> bytes:
    match section.text:
        case "HEADER":
            return message.header
        case "TEXT":
            return message.body
        case "HEADER.FIELDS":
            return header_fields(message, section.fields, matching=True)
        case "HEADER.FIELDS.NOT":
            return header_fields(message, section.fields, matching=False)
        case _:
            return b""


def header_fields(message: Entity, names: tuple[str, ...], *, matching: bool) -> bytes:
    """HEADER.FIELDS (``matching``) or HEADER.FIELDS.NOT, in stored order.

    RFC 3501 §6.4.5: "The field-matching is case-insensitive but otherwise
    exact. Subsetting does not exclude the [RFC-2822] delimiting blank line
    between the header and the body; the blank line is included in all
    header fetches, except in the case of a message which has no body and no
    blank line."
    """
    wanted = {name.lower() for name in names}
    chosen = [f.raw for f in message.fields if (f.name.lower() in wanted) == matching]
    return b"".join(chosen) + message.blank_line
