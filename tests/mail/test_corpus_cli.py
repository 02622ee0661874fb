"""``mailharness corpus``: files, manifest and errors, in-process and once as a subprocess."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.mail.corpus import generate
from harness.mail.integrity import verify
from harness.mail.kinds import DEFAULT_KINDS

REPO = Path(__file__).resolve().parents[2]


def _manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_writes_eml_files_and_a_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "corpus"
    assert main(["corpus", "--out", str(out), "--count", "50", "--seed", "7"]) == 0
    manifest = _manifest(out)
    assert manifest["seed"] == 7 and manifest["count"] == 50
    entries = manifest["messages"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [e["file"] for e in entries] + ["manifest.json"]
    )
    expected = generate(seed=7, count=50)
    for entry, message in zip(entries, expected, strict=True):
        data = (out / entry["file"]).read_bytes()
        assert data == message.raw
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert entry["size"] == len(data)
        assert (entry["name"], entry["kind"]) == (message.name, message.kind)
        assert entry["flags"] == message.flags()
        assert verify(data)
    assert "wrote 50 messages" in capsys.readouterr().out


def test_kind_selection_and_utf8_envelope_in_the_manifest(tmp_path: Path) -> None:
    out = tmp_path / "c"
    assert (
        main(
            [
                "corpus",
                "--out",
                str(out),
                "--count",
                "3",
                "--kind",
                "smtputf8",
                "--kind",
                "leading-dots",
            ]
        )
        == 0
    )
    entries = _manifest(out)["messages"]
    assert [e["kind"] for e in entries] == ["smtputf8", "leading-dots", "smtputf8"]
    assert entries[0]["flags"]["needs_smtputf8"] is True
    assert not entries[0]["envelope_from"].isascii()
    assert "\\u" not in (out / "manifest.json").read_text(encoding="utf-8")  # UTF-8, not escapes


def test_default_count_is_one_of_each_default_kind(tmp_path: Path) -> None:
    assert main(["corpus", "--out", str(tmp_path / "d"), "--quiet"]) == 0
    kinds = [e["kind"] for e in _manifest(tmp_path / "d")["messages"]]
    assert kinds == [kind.name for kind in DEFAULT_KINDS]


def test_size_options(tmp_path: Path) -> None:
    assert (
        main(["corpus", "--out", str(tmp_path / "s"), "--count", "2", "--size", "5000", "--quiet"])
        == 0
    )
    assert [e["size"] for e in _manifest(tmp_path / "s")["messages"]] == [5000, 5000]
    assert (
        main(["corpus", "--out", str(tmp_path / "m"), "--count", "60", "--size-mix", "--quiet"])
        == 0
    )
    sizes = [e["size"] for e in _manifest(tmp_path / "m")["messages"]]
    assert len(sizes) == 60 and min(sizes) >= 2048


def test_out_that_is_a_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    assert main(["corpus", "--out", str(target)]) == 2
    assert "is a file, not a directory" in capsys.readouterr().err


def test_non_empty_directory_needs_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["corpus", "--out", str(tmp_path), "--count", "1"]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["corpus", "--out", str(tmp_path), "--count", "1", "--force"]) == 0
    assert (tmp_path / "keep.txt").read_text() == "mine"
    assert (tmp_path / "0001-plain-7bit.eml").exists()


def test_missing_out_and_too_small_size_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["corpus", "--count", "1"]) == 2
    assert "--out DIR is required" in capsys.readouterr().err
    out = tmp_path / "never"
    assert main(["corpus", "--out", str(out), "--size", "100"]) == 2
    assert "smallest sized message" in capsys.readouterr().err
    assert not out.exists()


def test_bad_arguments_are_rejected_by_the_parser(tmp_path: Path) -> None:
    for argv in (
        ["--kind", "no-such-kind"],
        ["--count", "-3"],
        ["--kind", "plain-7bit", "--size-mix"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(["corpus", "--out", str(tmp_path / "x"), *argv])
        assert exit_info.value.code == 2


def test_list_kinds_names_every_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["corpus", "--list-kinds"]) == 0
    listed = capsys.readouterr().out
    assert "leading-dots" in listed and "bare-newline" in listed
    assert listed.count("[by name only]") == 2


def test_runs_as_a_subprocess(tmp_path: Path) -> None:
    out = tmp_path / "sub"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness.cli",
            "corpus",
            "--out",
            str(out),
            "--count",
            "3",
            "--seed",
            "1",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(_manifest(out)["messages"]) == 3
    assert (out / "0001-plain-7bit.eml").read_bytes() == generate(seed=1, count=1)[0].raw
