"""``[relay] target = FILE``: a target names its relay peer's target file."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.targets import TargetError, load_target

SERVER = """\
name = "{name}"
host = "127.0.0.1"
[submission]
port = {port}
tls = "starttls"
[[accounts]]
user = "{user}"
password = "pw"
[relay]
domain = "{other}"
target = "{peer}"
"""


def write(folder: Path, name: str, **values: object) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(SERVER.format(name=name, **values), encoding="utf-8")
    return path


def test_two_targets_may_name_each_other_and_load_one_level_deep(tmp_path: Path) -> None:
    a = write(tmp_path, "a", port=2587, user="alice@a.test", other="b.test", peer="b.toml")
    write(tmp_path, "b", port=2588, user="bob@b.test", other="a.test", peer="a.toml")
    target = load_target(a)
    assert target.relay is not None and target.relay.peer_file == "b.toml"
    peer = target.relay.peer
    assert peer is not None and peer.name == "b" and peer.accounts[0].user == "bob@b.test"
    assert peer.relay is not None and peer.relay.peer is None  # not followed further
    assert peer.relay.peer_file == "a.toml"


def test_the_peer_path_is_relative_to_the_target_file(tmp_path: Path) -> None:
    (tmp_path / "peers").mkdir()
    write(tmp_path / "peers", "b", port=2588, user="bob@b.test", other="a.test", peer="x.toml")
    a = write(tmp_path, "a", port=2587, user="alice@a.test", other="b.test", peer="peers/b.toml")
    relay = load_target(a).relay
    assert relay is not None and relay.peer is not None and relay.peer.name == "b"


def test_a_missing_or_self_peer_is_a_target_error(tmp_path: Path) -> None:
    a = write(tmp_path, "a", port=2587, user="alice@a.test", other="b.test", peer="nope.toml")
    with pytest.raises(TargetError, match=r"nope\.toml: cannot read target file"):
        load_target(a)
    a = write(tmp_path, "a", port=2587, user="alice@a.test", other="b.test", peer="a.toml")
    with pytest.raises(TargetError, match="a target cannot be its own relay peer"):
        load_target(a)
