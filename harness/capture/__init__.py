"""Packet capture on loopback and what is read back out of pcap files.

``capability``   may this process capture, and with which backend (``capture_capability``)
``backend``      the ``Capture`` interface (a context manager writing one pcap) and its stats
``sniffer``      ``ScapyCapture``: scapy's AsyncSniffer (imported lazily: no scapy, no import)
``tcpdump``      ``TcpdumpCapture``: a tcpdump child, for high packet rates
``plan``         ``plan_capture(mode)`` once per run, pcap and key-log file names
``pcapfile``     a fast reader of TCP segments from pcap/pcapng (no dissector)
``reassembly``   TCP streams rebuilt by sequence number, with gaps, FIN and RST marks
``tlsrecords``   the TLS record layer, to measure encrypted streams
``completeness`` recorded transcripts against the capture: complete / missing / not found
"""

from harness.capture.backend import Capture, CaptureError, CaptureStats, capture_filter
from harness.capture.capability import (
    CAPTURE_MODES,
    CaptureMode,
    capture_capability,
    choose_backend,
)
from harness.capture.completeness import (
    Completeness,
    CompletenessReport,
    ConnectionCheck,
    check_completeness,
    check_connections,
)
from harness.capture.pcapfile import PcapFormatError, TcpSegment, read_segments
from harness.capture.plan import CapturePlan, keylog_path, pcap_path, plan_capture
from harness.capture.reassembly import TcpConnection, reassemble
from harness.capture.sniffer import ScapyCapture
from harness.capture.tcpdump import TcpdumpCapture

__all__ = [
    "CAPTURE_MODES",
    "Capture",
    "CaptureError",
    "CaptureMode",
    "CapturePlan",
    "CaptureStats",
    "Completeness",
    "CompletenessReport",
    "ConnectionCheck",
    "PcapFormatError",
    "ScapyCapture",
    "TcpConnection",
    "TcpSegment",
    "TcpdumpCapture",
    "capture_capability",
    "capture_filter",
    "check_completeness",
    "check_connections",
    "choose_backend",
    "keylog_path",
    "pcap_path",
    "plan_capture",
    "read_segments",
    "reassemble",
]
