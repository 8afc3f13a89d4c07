"""``ailurus datasets`` as a data scientist runs it: the installed ``.venv/bin/ailurus`` in a
subprocess (progress bar only on a terminal), and the Azure backend on the real Azurite."""

import asyncio
import fcntl
import json
import os
import pty
import struct
import subprocess
import termios
import uuid
from pathlib import Path

import pytest

from ailurus_common.storage.azure_blob import AzureBlobStore
from ailurus_common.storage.blob import DATASETS
from ailurus_ml.cli import main
from ailurus_ml.datasets.store import IMAGES_PREFIX
from ailurus_tools.standins import Azurite
from tests.conftest import ROOT
from tests.support.datasets import CAMTRAPDP_EXAMPLE_DIR, STATIONS_COUNTS, STATIONS_DIR, STATIONS_IMAGES

AILURUS = ROOT / ".venv" / "bin" / "ailurus"
TIMEOUT_S = 120


def ailurus(*argv: str, blob_root: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "ML_BLOB_BACKEND": "local", "ML_BLOB_ROOT": str(blob_root)}
    return subprocess.run([str(AILURUS), *argv], env=env, cwd=ROOT, timeout=TIMEOUT_S, **kwargs)


def test_installed_cli_import_show_json(tmp_path: Path) -> None:
    done = ailurus("datasets", "import", str(STATIONS_DIR), "--format", "folder", "--json", blob_root=tmp_path,
                   capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    snapshot = json.loads(done.stdout)["snapshot"]
    assert snapshot["per_site_class"] == STATIONS_COUNTS
    shown = ailurus("datasets", "show", snapshot["id"], blob_root=tmp_path, capture_output=True, text=True)
    assert shown.returncode == 0
    assert f"{STATIONS_IMAGES} images, 6 classes, 3 sites, 0 problems" in shown.stdout
    assert shown.stderr == ""
    human = ailurus("datasets", "import", str(CAMTRAPDP_EXAMPLE_DIR), "--format", "camtrapdp", blob_root=tmp_path,
                    capture_output=True, text=True)
    assert human.returncode == 0 and "10 images, 1 class, 1 site, 413 problems" in human.stdout
    assert human.stderr == ""  # not a terminal: no progress bar


def test_installed_cli_progress_bar_on_terminal_only(tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    # A new pty is 0x0: give it a real terminal's size, or tqdm has no room to draw.
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        done = ailurus("datasets", "import", str(CAMTRAPDP_EXAMPLE_DIR), "--format", "camtrapdp", blob_root=tmp_path,
                       stdout=subprocess.PIPE, stderr=follower, text=True)
        os.close(follower)
        follower = -1
        terminal = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the pty is closed once the child has exited
                break
            if not chunk:
                break
            terminal += chunk
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    assert done.returncode == 0
    assert b"10/10" in terminal and b"file" in terminal  # tqdm: done/total and the unit
    assert "new snapshot" in done.stdout


def test_installed_cli_missing_path_exit_1_no_traceback(tmp_path: Path) -> None:
    done = ailurus("datasets", "import", str(tmp_path / "absent"), "--format", "folder", blob_root=tmp_path,
                   capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.startswith("ailurus: error:") and "Traceback" not in done.stderr


@pytest.mark.slow
async def test_cli_azure_backend_import_list_show(azurite: Azurite, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ML_BLOB_BACKEND", "azure")
    monkeypatch.setenv("ML_BLOB_CONNECTION_STRING", azurite.connection_string)
    name = f"azure-{uuid.uuid4().hex[:8]}"  # Azurite is shared by the session: a name no other test uses

    def run(*argv: str) -> dict:
        assert main([*argv, "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    # main() runs its own event loop: off this test's loop, in a worker thread.
    first = (await asyncio.to_thread(run, "datasets", "import", str(STATIONS_DIR), "--format", "folder",
                                     "--name", name))["snapshot"]
    assert first["per_site_class"] == STATIONS_COUNTS
    again = await asyncio.to_thread(run, "datasets", "import", str(STATIONS_DIR), "--format", "folder", "--name", name)
    assert (again["created"], again["images_written"], again["snapshot"]["id"]) == (False, 0, first["id"])
    other = await asyncio.to_thread(run, "datasets", "import", str(STATIONS_DIR), "--format", "folder",
                                    "--name", f"{name}-copy")
    assert other["created"] is True and other["images_written"] == 0  # images shared, stored once
    listed = await asyncio.to_thread(run, "datasets", "list")
    assert {first["id"], other["snapshot"]["id"]} <= {s["id"] for s in listed["snapshots"]}
    shown = await asyncio.to_thread(run, "datasets", "show", first["id"])
    assert shown["snapshot"]["per_class"] == first["per_class"]

    store = AzureBlobStore.from_connection_string(azurite.connection_string)
    try:
        names = await store.list_names(DATASETS, IMAGES_PREFIX)
        manifest = json.loads(await store.get(DATASETS, f"snapshots/{first['id']}.json"))
    finally:
        await store.close()
    assert {IMAGES_PREFIX + item["sha256"] for item in manifest["items"]} <= set(names)
    assert len(manifest["items"]) == STATIONS_IMAGES
