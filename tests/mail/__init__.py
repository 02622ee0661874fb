"""Tests of harness.mail: the corpus, its encoders and its integrity header."""
