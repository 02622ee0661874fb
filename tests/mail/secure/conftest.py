"""Secure-mail corpus messages and the external tools, built once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.mail.corpus import CorpusMessage, generate
from harness.mail.kinds import secure
from tests.mail.secure.tools import GnuPG, OpenSSL, gnupg_home

SECURE_KINDS = [kind.name for kind in secure.KINDS]


@pytest.fixture(scope="session")
def secure_corpus() -> list[CorpusMessage]:
    """Two messages of every secure kind."""
    return generate(seed=5, count=2 * len(SECURE_KINDS), kinds=SECURE_KINDS)


def of_kind(corpus: list[CorpusMessage], kind: str) -> list[CorpusMessage]:
    found = [message for message in corpus if message.kind == kind]
    assert found, kind
    return found


@pytest.fixture(scope="session")
def openssl(tmp_path_factory: pytest.TempPathFactory) -> OpenSSL:
    return OpenSSL(tmp_path_factory.mktemp("openssl"))


@pytest.fixture(scope="session")
def gnupg() -> Iterator[GnuPG]:
    with gnupg_home() as home:
        yield home


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
