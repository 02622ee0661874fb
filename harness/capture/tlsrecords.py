"""The TLS record layer, just enough to measure a capture of an encrypted stream.

Without the keys the payload of a TLS connection cannot be compared with
what the harness recorded, but its framing can (RFC 8446 §5.1, RFC 5246
§6.2.1): every record is a 5-octet header (content type, legacy version,
length) and that many octets. A captured stream whose records follow one
another to its very end lost nothing at the record layer, and its
application-data records must carry at least as many octets as the plaintext
the harness recorded (each record adds a tag, and in TLS 1.3 a content type).
"""

from __future__ import annotations

from dataclasses import dataclass

HANDSHAKE, APPLICATION_DATA = 22, 23
CONTENT_TYPES = frozenset({20, 21, 22, 23, 24})
MAX_RECORD = (1 << 14) + 2048  # RFC 5246 §6.2.3: TLSCiphertext.length limit
HEADER = 5


def looks_like_tls(data: bytes) -> bool:
    """True if ``data`` starts with a TLS handshake record (a ClientHello or ServerHello)."""
    return len(data) >= 3 and data[0] == HANDSHAKE and data[1] == 3 and data[2] <= 4


@dataclass(frozen=True)
class RecordWalk:
    """What walking the records of a byte stream found."""

    records: int
    application_octets: int  # payload octets of application-data records
    parsed_to: int  # offset after the last whole record
    problem: str | None = None  # why the walk stopped before the end

    def complete(self, length: int) -> bool:
        return self.problem is None and self.parsed_to == length


def walk_records(data: bytes) -> RecordWalk:
    """Walk TLS records from the start of ``data`` to its end or the first bad header."""
    offset = records = application = 0
    end = len(data)
    while offset + HEADER <= end:
        kind, major = data[offset], data[offset + 1]
        length = int.from_bytes(data[offset + 3 : offset + 5], "big")
        if kind not in CONTENT_TYPES or major != 3 or length > MAX_RECORD:
            bad_header = f"not a TLS record header at offset {offset}"
            return RecordWalk(records, application, offset, bad_header)
        if offset + HEADER + length > end:
            break
        records += 1
        if kind == APPLICATION_DATA:
            application += length
        offset += HEADER + length
    problem = None if offset == end else f"the last record is cut short at offset {offset}"
    return RecordWalk(records, application, offset, problem)
