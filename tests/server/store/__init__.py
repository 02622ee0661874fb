"""Tests of the durable mail store (harness.server.store), against real SQLite files."""
