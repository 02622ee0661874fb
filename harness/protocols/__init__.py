"""Sans-IO protocol cores: bytes in, events out; events in, bytes out.

Nothing here performs I/O or imports anything of the project but
``harness.protocols`` itself (tests/test_import_rules.py enforces this).
One package per protocol (``smtp``, ``pop3``, ``imap``), all with the same
shape, plus pieces they share (``common``: errors, roles, bounded line framing,
dot-stuffing) and ``sasl`` (the mechanisms all three speak).
"""
