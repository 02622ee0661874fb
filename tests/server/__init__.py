"""Tests of the bundled reference server (harness.server)."""
