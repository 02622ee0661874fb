"""Tests of the reference server's IMAP session, message views and SEARCH."""
