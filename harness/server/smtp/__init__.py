"""The reference server's SMTP session: the MX listener and message submission.

``session.handle`` is the handler the app runs per connection (the loop,
replies, time limits); ``commands`` answers the session commands (EHLO,
HELO, NOOP, RSET, VRFY, EXPN, HELP, QUIT, STARTTLS), ``auth`` the SASL
exchange, ``transaction`` MAIL/RCPT/DATA/BDAT and the 250 after delivery
(``harness.server.delivery``); ``policy`` holds the envelope rules (who may
send, who may receive, never an open relay), ``settings`` what each listener
offers, ``replies`` the server's own replies.
"""
