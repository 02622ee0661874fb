"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.realservers import RealStack, start_stack, stop_stack, why_unavailable


@pytest.fixture(scope="session")
def real_stack() -> Iterator[RealStack]:
    """The private Dovecot+Postfix stack, started once per session (realserver tests)."""
    reason = why_unavailable()
    if reason:
        pytest.skip(reason)
    # Postfix's unprivileged processes must traverse the root, so it cannot
    # live under pytest's private (0700) temporary directory.
    root = Path(tempfile.mkdtemp(prefix="mailharness-realservers-"))
    root.chmod(0o755)
    stack = RealStack(root=root)
    try:
        start_stack(root)
        yield stack
    finally:
        stop_stack(stack)
        shutil.rmtree(root, ignore_errors=True)
