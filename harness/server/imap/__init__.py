"""The reference server's IMAP4rev1/IMAP4rev2 session: state machine, mailbox operations, message views and SEARCH."""
