"""The bundled reference server: config, store, SMTP/POP3/IMAP sessions, auth,
relay queue, filing rules.

Everything here runs under trio except ``store``'s writer and reader threads,
which keep SQLite's blocking calls off the event loop (see ``store``).
"""
