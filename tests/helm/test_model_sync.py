"""helm/ailurus/files/model-sync.sh, run by /bin/sh against a stub azcopy that mirrors a folder."""

import os
import stat
import subprocess
import time
from pathlib import Path

import pytest

from ailurus_tools.helm_check import CHART_DIR

SCRIPT = CHART_DIR / "files" / "model-sync.sh"
# `azcopy sync SRC DST ...` as a local mirror that keeps modification times, like the real
# one (it re-downloads only blobs newer than the local copy); `azcopy jobs clean` is a no-op.
STUB_AZCOPY = """#!/bin/sh
[ "$1" = jobs ] && exit 0
[ "$1" = sync ] || exit 2
[ -f "$2/.fail" ] && exit 1
rm -rf "$3" && mkdir -p "$3" && cp -Rp "$2"/. "$3"/
"""


@pytest.fixture
def sync(tmp_path: Path):
    """Returns a function running the script once; the source folder is tmp_path/source."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    azcopy = bin_dir / "azcopy"
    azcopy.write_text(STUB_AZCOPY)
    azcopy.chmod(azcopy.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
           "MODEL_SYNC_SOURCE": str(tmp_path / "source"), "MODEL_SYNC_STAGING": str(tmp_path / "staging"),
           "MODEL_SYNC_TARGET": str(tmp_path / "models")}

    def run() -> subprocess.CompletedProcess:
        return subprocess.run(["/bin/sh", str(SCRIPT), "once"], env=env, capture_output=True, text=True, timeout=30)

    return run


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def test_model_sync_publishes_new_version_and_rolls_back(tmp_path: Path, sync) -> None:
    source, live = tmp_path / "source" / "clf", tmp_path / "models" / "clf"
    _write(source / "config.pbtxt", "name: clf")
    _write(source / "labels.txt", "cat\n")
    _write(source / "1" / "model.onnx", "v1")

    assert sync().returncode == 0
    assert _tree(live) == {"1/model.onnx": "v1", "config.pbtxt": "name: clf", "labels.txt": "cat\n"}

    _write(source / "2" / "model.onnx", "v2")
    time.sleep(1.1)  # modification times have one-second resolution on some file systems
    _write(source / "labels.txt", "cat\ndog\n")
    assert sync().returncode == 0
    assert _tree(live)["2/model.onnx"] == "v2"
    assert _tree(live)["labels.txt"] == "cat\ndog\n"

    (source / "2" / "model.onnx").unlink()
    (source / "2").rmdir()
    assert sync().returncode == 0
    assert sorted(_tree(live)) == ["1/model.onnx", "config.pbtxt", "labels.txt"]
    assert not list(live.glob(".incoming-*"))


def test_model_sync_failed_fetch_leaves_live_repository_unchanged(tmp_path: Path, sync) -> None:
    source = tmp_path / "source"
    _write(source / "clf" / "1" / "model.onnx", "v1")
    assert sync().returncode == 0
    _write(source / "clf" / "2" / "model.onnx", "v2")
    _write(source / ".fail", "")

    result = sync()

    assert result.returncode != 0
    assert sorted(_tree(tmp_path / "models")) == ["clf/1/model.onnx"]


def test_model_sync_removes_model_gone_from_container(tmp_path: Path, sync) -> None:
    source = tmp_path / "source"
    _write(source / "old" / "1" / "model.onnx", "old")
    _write(source / "new" / "1" / "model.onnx", "new")
    assert sync().returncode == 0

    (source / "old" / "1" / "model.onnx").unlink()
    (source / "old" / "1").rmdir()
    (source / "old").rmdir()
    assert sync().returncode == 0

    assert sorted(_tree(tmp_path / "models")) == ["new/1/model.onnx"]
