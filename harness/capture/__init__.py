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
``dialogue``     both roles of a protocol core fed a captured conversation (violations);
                 ``smtp_dialogue``, ``pop3_dialogue``, ``imap_dialogue`` per protocol
``decode``       any pcap -> its SMTP/POP3/IMAP conversations as transcripts (``decode_pcap``)
``render``       decoded conversations as C:/S: text with notes, or .mhs script skeletons
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
from harness.capture.decode import DecodedConnection, PcapDecoding, decode_pcap
from harness.capture.pcapfile import PcapFormatError, TcpSegment, read_segments
from harness.capture.plan import CapturePlan, keylog_path, pcap_path, plan_capture
from harness.capture.reassembly import TcpConnection, reassemble
from harness.capture.render import render_decoded, script_skeleton
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
    "DecodedConnection",
    "PcapDecoding",
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
    "decode_pcap",
    "keylog_path",
    "pcap_path",
    "plan_capture",
    "read_segments",
    "reassemble",
    "render_decoded",
    "script_skeleton",
]
