"""Selected-state commands (RFC 9051 §6.4) and the selected mailbox itself:
``view`` (sequence numbers and flags as announced), ``updates`` (other
sessions' changes as untagged responses), ``content`` (message bytes and
parsed views), and the commands ``fetch``, ``store``, ``search``, ``copy``
(COPY, MOVE) and ``expunge`` (EXPUNGE, CLOSE, UNSELECT)."""
