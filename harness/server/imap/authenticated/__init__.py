"""Authenticated-state commands (RFC 9051 §6.3): the mailbox namespace
(``mailboxes``, ``listing``, ``status``), ``select``, ``append`` and ``idle``;
``lookup`` finds the mailbox a command names."""
