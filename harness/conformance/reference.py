"""``--target``: a target file, or ``reference`` (the bundled server, started here).

``open_target("reference")`` starts the reference server in-process on free
loopback ports with a fresh data directory (so no earlier run's mail is
seen), yields its Target (every bound listener, its accounts, its
certificate as trust anchor) and stops the server on the way out. Services
the build does not serve yet are simply absent from the target, so the
cases that need them are skipped with that reason.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from harness.targets import REFERENCE, Target, load_target


@asynccontextmanager
async def open_target(spec: str) -> AsyncIterator[Target]:
    """The target named by ``--target``; TargetError for a bad file."""
    if spec != REFERENCE:
        yield load_target(spec)
        return
    # Imported here: only runs against the reference server need the server code.
    from harness.server.app import running_server

    with tempfile.TemporaryDirectory(prefix="mailharness-reference-") as data_dir:
        async with running_server(data_dir=Path(data_dir)) as running:
            yield running.target()
