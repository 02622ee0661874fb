"""Locust users (imported only inside the locust process; they import locust).

``SMTPSender`` (MX or submission with AUTH, the profile's size mix, every
message carrying an id and hash), ``IMAPReader`` (login, select, IDLE for new
mail, fetch headers then bodies, flag, move, expunge) and ``POP3Downloader``
(polls; leave-on-server or delete). ``harness.load.engine.locustfile`` makes
one class per ``[[users]]`` table of the profile from these.
"""

from harness.load.users.base import MailUser
from harness.load.users.imap import IMAPReader
from harness.load.users.pop3 import POP3Downloader
from harness.load.users.smtp import SMTPSender

__all__ = ["IMAPReader", "MailUser", "POP3Downloader", "SMTPSender"]
