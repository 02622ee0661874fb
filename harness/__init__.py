"""mailharness: a mail-protocol test harness and load generator.

The import package is ``harness``; the layout and the rules between its
subpackages are described in README.md ("Architecture").
"""

__version__ = "0.1.0"
