"""The reference server's POP3 session (RFC 1939 with CAPA, UIDL, TOP, USER,
SASL, STLS, RESP-CODES, AUTH-RESP-CODE, PIPELINING, UTF8, LANG).

``session.handle`` is the handler the app serves on the pop3 and pop3s
listeners. The command handlers are grouped by RFC 1939 state:
``authorization`` (USER/PASS, APOP, AUTH, STLS, UTF8), ``transaction`` (STAT,
LIST, UIDL, RETR, TOP, DELE, NOOP, RSET, and QUIT into UPDATE) and
``capabilities`` (CAPA and LANG, valid in both). ``session_state`` holds what
they share; ``maildrop`` is the INBOX as numbered at login with its deletion
marks; ``wire`` turns stored bytes into what RETR and TOP send.
"""
