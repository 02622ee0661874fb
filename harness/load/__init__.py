"""Load generation: locust users over blocking sockets and the same sans-IO cores.

General modules (importable anywhere, no locust, no gevent, no trio):
``profile`` (TOML load profiles) and ``slo`` (gates), ``plan`` (what one run
hands to the locust process), ``messages`` (unique, hashed load messages from
the corpus helpers), ``histograms`` (mergeable HDR latency), ``metrics``
(per-process recorder) and ``aggregate`` (merging and delivery matching),
``result`` (the ``load`` section of report.json), ``sweep`` (end-of-run
mailbox collection), ``runner`` (``run_load``: starts locust in its own
process), ``summary`` (terminal tables) and ``clients`` (blocking protocol
clients); ``capacity`` and ``capacity_search`` (step the open-loop rate until
an SLO breaks), ``capture`` and ``wirecount`` (--capture: one tcpdump pcap per
run, its loss measured against the clients' per-connection octet counts).

Locust side (imported only inside the locust process): ``users`` (SMTP
sender, IMAP reader, POP3 downloader) and ``engine`` (load shape, the
master/worker metric exchange, the locustfile).
"""
