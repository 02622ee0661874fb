"""Fixtures for the net tests: one generated certificate and contexts that trust it."""

from __future__ import annotations

import ssl

import pytest

from harness.net import CertificatePaths, client_ssl_context, ensure_self_signed
from harness.net import server_ssl_context as build_server_context


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> CertificatePaths:
    return ensure_self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def server_context(certs: CertificatePaths) -> ssl.SSLContext:
    return build_server_context(certs.cert, certs.key)


@pytest.fixture
def trusting_client_context(certs: CertificatePaths) -> ssl.SSLContext:
    return client_ssl_context(verify=True, ca_file=certs.cert)
