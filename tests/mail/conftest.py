"""A corpus built once per session: generating it is the slow part."""

from __future__ import annotations

import pytest

from harness.mail.corpus import CorpusMessage, generate
from tests.mail.helpers import ALL_KIND_NAMES


@pytest.fixture(scope="session")
def every_kind() -> list[CorpusMessage]:
    """Two messages of every kind (two different random draws of each)."""
    return generate(seed=11, count=2 * len(ALL_KIND_NAMES), kinds=ALL_KIND_NAMES)
