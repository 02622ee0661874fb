"""The reference server's IMAP4rev1/IMAP4rev2 session: state machine, mailbox
operations, message views and SEARCH.

``session``         ``handle()``: greeting, the command loop, limits, BYE
``dispatch``        command type -> handler; ``base``: Session, Done/No/Bad
``capabilities``    what is advertised, by state and TLS
``any_state``       CAPABILITY NOOP LOGOUT ID (and CHECK)
``not_authenticated``  STARTTLS LOGIN AUTHENTICATE
``authenticated/``  ENABLE SELECT/EXAMINE CREATE DELETE RENAME (UN)SUBSCRIBE
                    LIST LSUB NAMESPACE STATUS APPEND IDLE
``selected/``       the selected mailbox's view and change announcements;
                    FETCH STORE SEARCH COPY/MOVE EXPUNGE CLOSE UNSELECT
``message_view``    ENVELOPE, BODYSTRUCTURE, sections, BINARY of stored bytes
``search_eval``     SEARCH keys compiled to predicates (``mime_*``: MIME helpers)
"""
