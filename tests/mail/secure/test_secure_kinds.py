"""The secure kinds in the corpus: deterministic, flagged right, and on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from harness.cli import main
from harness.mail.corpus import CorpusMessage, generate
from harness.mail.integrity import verify
from harness.mail.kinds import DEFAULT_KINDS, kind_named
from harness.mail.kinds.secure import VERIFIERS
from tests.mail.secure.conftest import SECURE_KINDS, of_kind


def test_every_secure_kind_is_registered_with_a_verifier() -> None:
    for name in SECURE_KINDS:
        kind = kind_named(name)
        assert kind.verify is VERIFIERS[name] and kind.checks
        assert kind in DEFAULT_KINDS
    assert set(SECURE_KINDS) >= {
        "smime-signed",
        "smime-opaque-signed",
        "smime-enveloped",
        "pgp-signed",
        "pgp-encrypted",
        "pem-legacy",
        "smime-signed-8bit",
    }


def test_the_same_seed_gives_the_same_octets(secure_corpus: list[CorpusMessage]) -> None:
    again = generate(seed=5, count=len(secure_corpus), kinds=SECURE_KINDS)
    assert [m.raw for m in again] == [m.raw for m in secure_corpus]
    other = generate(seed=6, count=len(SECURE_KINDS), kinds=SECURE_KINDS)
    assert all(a.raw != b.raw for a, b in zip(other, secure_corpus, strict=False))


def test_flags(secure_corpus: list[CorpusMessage]) -> None:
    for message in secure_corpus:
        assert verify(message.raw)
        assert (
            message.valid_for_smtp and not message.needs_binarymime and not message.needs_smtputf8
        )
        assert message.needs_8bitmime == (message.kind == "smime-signed-8bit")


def test_lines_stay_within_smtp_limits(secure_corpus: list[CorpusMessage]) -> None:
    for message in secure_corpus:
        lines = message.raw.split(b"\r\n")
        assert max(len(line) for line in lines) <= 998, message.name
        assert b"\r" not in b"".join(lines) and b"\n" not in b"".join(lines)


def test_base64_in_the_signed_part_uses_64_character_lines(
    secure_corpus: list[CorpusMessage],
) -> None:
    for kind in ("smime-signed", "pgp-signed"):
        for message in of_kind(secure_corpus, kind):
            data_part = message.raw.split(b'filename="data.bin"\r\n\r\n', 1)[1]
            first_line = data_part.split(b"\r\n", 1)[0]
            assert len(first_line) == 64


def test_mailharness_corpus_writes_a_secure_kind(tmp_path: Path) -> None:
    out = tmp_path / "signed"
    assert (
        main(["corpus", "--out", str(out), "--count", "2", "--seed", "3", "--kind", "smime-signed"])
        == 0
    )
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    files = [entry["file"] for entry in manifest["messages"]]
    assert len(files) == 2
    check = VERIFIERS["smime-signed"]
    assert check is not None
    for name, message in zip(files, generate(seed=3, count=2, kinds=["smime-signed"]), strict=True):
        raw = (out / name).read_bytes()
        assert raw == message.raw and check(raw) is None
