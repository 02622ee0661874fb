"""Messages: the deterministic test corpus and the MIME pieces it is built from.

``corpus`` (``generate``, ``CorpusMessage``) and ``sizes`` (size mix for
load, messages of an exact size) are the entry points; ``kinds`` holds one
builder per tricky message shape; ``mime``, ``encoding`` and ``text`` write
the bytes; ``integrity`` defines and checks the X-Mailharness-Hash header.
Pure code: no sockets, no clock, no global randomness.
"""
