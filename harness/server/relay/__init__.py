"""The relay: queued mail for other domains, delivered by SMTP to the next hop.

``worker`` claims due queue entries and settles them; ``routes`` picks each
recipient's next hop from the config's route table; ``hop`` is one SMTP
client session (EHLO, STARTTLS, MAIL/RCPT/DATA or BDAT) over the sans-IO
core, after ``preflight`` checked the hop can take the message unchanged;
``outcome`` is what each recipient got; ``notify`` decides which DSNs are
owed, ``dsn`` writes them (RFC 3464 in RFC 6522) and ``bounce`` sends them.
The app starts ``serve_relay`` in the server's nursery (docs/relay.md).
"""

from harness.server.relay.worker import RelayWorker, queued_envelope, serve_relay

__all__ = ["RelayWorker", "queued_envelope", "serve_relay"]
