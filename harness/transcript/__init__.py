"""Transcripts: what crossed a wire, and its C:/S: text form.

``model``    the Transcript (connection, events with direction, bytes, monotonic
             and wall times, TLS and close markers) and the Recorder that the
             I/O adapter calls as bytes move.
``text``     rendering to, and parsing from, the script syntax of
             suites/README.md, so a recorded session can become a regression script.
``escapes``  the ``${...}`` byte escapes that text form shares with scripts.
"""

from harness.transcript.escapes import EscapeError, escape_text, unescape_text
from harness.transcript.model import Direction, Endpoint, Event, EventKind, Recorder, Transcript
from harness.transcript.text import (
    TextEvent,
    TranscriptTextError,
    parse_text,
    render_line,
    render_sessions,
    render_text,
    split_lines,
    text_events,
)

__all__ = [
    "Direction",
    "Endpoint",
    "EscapeError",
    "Event",
    "EventKind",
    "Recorder",
    "TextEvent",
    "Transcript",
    "TranscriptTextError",
    "escape_text",
    "parse_text",
    "render_line",
    "render_sessions",
    "render_text",
    "split_lines",
    "text_events",
    "unescape_text",
]
