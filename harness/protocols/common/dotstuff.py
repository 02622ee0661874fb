"""Dot-stuffing: SMTP DATA (RFC 5321 §4.5.2) and POP3 multi-line responses
(RFC 1939 §3) share one codec.

RFC 5321 §4.5.2: "Before sending a line of mail text, the SMTP client checks the
first character of the line. If it is a period, one additional period is
inserted at the beginning of the line." and "If the line is composed of a
single period, it is treated as end of mail data."

The decoder recognises end-of-data *only* at CRLF "." CRLF. A dot after a bare
LF or bare CR is never a line start, so "\\n.\\n", "\\r.\\r" and "\\n.\\r\\n" are
data, not a terminator: the basis of SMTP smuggling resistance. Bare CR and
bare LF are reported (``saw_bare_cr``, ``saw_bare_lf``) so the protocol can
apply its policy (reject the message, or keep the octets as they are).

Speed: the decoder searches for "\\r\\n." with ``bytes.find`` and slices whole
runs between matches, so ordinary text moves at memory speed; Python code runs
once per dot-led line, not once per line or byte.
"""

from __future__ import annotations

_DOT = 0x2E
_CR = 0x0D


def dot_stuff(body: bytes) -> bytes:
    """Stuff ``body`` and append the terminator; add a final CRLF if missing."""
    if not body.endswith(b"\r\n") and body:
        body += b"\r\n"
    stuffed = body.replace(b"\r\n.", b"\r\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    return stuffed + b".\r\n"


class DotStuffDecoder:
    """Un-stuffs a dot-terminated body incrementally, consuming from a buffer."""

    def __init__(self) -> None:
        self._at_line_start = True  # the command line before the body ended in CRLF
        self.finished = False
        self.saw_bare_cr = False
        self.saw_bare_lf = False
        self.decoded_octets = 0

    def decode(self, buf: bytearray) -> bytes:
        """Consume what can be decided from ``buf``; return the decoded octets.

        Bytes that cannot be decided yet (a trailing CR, a dot at line start
        with too little after it) stay in ``buf``. After the terminator,
        ``finished`` is True and the rest of ``buf`` (pipelined commands) is
        left untouched.
        """
        out: list[bytes] = []
        pos, n = 0, len(buf)
        while not self.finished:
            if self._at_line_start:
                if pos >= n:
                    break
                if buf[pos] == _DOT:
                    after = bytes(buf[pos + 1 : pos + 3])
                    if after == b"\r\n":
                        self.finished = True
                        pos += 3
                        break
                    if len(after) < 2 and b"\r\n".startswith(after):
                        break  # "." or ".\r": wait to see what follows
                    pos += 1  # a stuffed dot: drop it
                self._at_line_start = False
            found = buf.find(b"\r\n.", pos)
            if found >= 0:
                out.append(bytes(buf[pos : found + 2]))
                pos = found + 2
                self._at_line_start = True
                continue
            end = n
            if end > pos and buf[end - 1] == _CR:
                end -= 1  # a CR that may start CRLF "." : decide later
            elif buf.endswith(b"\r\n"):
                self._at_line_start = True
            out.append(bytes(buf[pos:end]))
            pos = end
            break
        del buf[:pos]
        data = b"".join(out)
        self._note_bare_newlines(data)
        self.decoded_octets += len(data)
        return data

    def _note_bare_newlines(self, data: bytes) -> None:
        # Chunks end after a CRLF or before a CR, never between CR and LF,
        # so counting per chunk is exact.
        crlf = data.count(b"\r\n")
        if not self.saw_bare_lf and data.count(b"\n") != crlf:
            self.saw_bare_lf = True
        if not self.saw_bare_cr and data.count(b"\r") != crlf:
            self.saw_bare_cr = True
