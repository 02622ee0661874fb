"""Tests of harness.net: TLS, certificates and the sans-IO stream adapter."""
