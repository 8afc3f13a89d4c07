"""``ailurus datasets from-reviews`` against a real ingest process (SQLite): media recorded
as an upload would, a few reviewed, originals in the shared local blob store."""

import asyncio
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ailurus_common.auth import LocalIssuer
from ailurus_common.auth.service import ServiceTokens
from ailurus_common.auth.settings import AuthSettings
from ailurus_common.clients.ingest import IngestClient
from ailurus_common.contracts.ingest import MediaBatch, NewMedia, Review, TrapCreate
from ailurus_common.domain import Group
from ailurus_common.storage.blob import UPLOADS, original_blob_name
from ailurus_common.storage.local_blob import LocalBlobStore
from ailurus_ml.cli import main
from ailurus_tools.processes import ManagedProcess, free_port
from tests.conftest import ROOT
from tests.support.datasets import station_files

pytestmark = pytest.mark.slow


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    path = tmp_path / "auth" / "local-signing-key.pem"
    LocalIssuer.from_key_file(path)  # the key the stack shares; created here as the first service would
    return path


@pytest.fixture
def ingest_url(tmp_path: Path, key_path: Path, logs_dir: Path) -> Iterator[str]:
    port = free_port()
    process = ManagedProcess("ingest", [sys.executable, "-m", "ingest"], env={
        "INGEST_PORT": str(port), "INGEST_SQLITE_PATH": str(tmp_path / "metadata.sqlite3"),
        "INGEST_AUTH_KEY_PATH": str(key_path)},
        ready_url=f"http://127.0.0.1:{port}/readyz", log_path=logs_dir / "ingest-ml.log", cwd=ROOT)
    process.start(timeout_s=60)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.stop()


async def record_uploads(ingest_url: str, key_path: Path, blob_root: Path) -> dict[str, str]:
    """Four stations photos uploaded to a trap, three reviewed; returns media id -> review."""
    blobs = LocalBlobStore(blob_root)
    await blobs.ensure_containers()
    client = IngestClient(ingest_url, timeout_s=10, tokens=ServiceTokens(AuthSettings(auth_key_path=key_path)))
    try:
        trap = await client.create_trap(TrapCreate(name="Singalila ridge", latitude=27.1, longitude=88.0))
        items = []
        for path in station_files("StationB", "PBE")[:4]:
            data = path.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
            await blobs.put(UPLOADS, original_blob_name(sha), data, content_type="image/jpeg")
            items.append(NewMedia(id=sha, file_name=path.name, media_type="image/jpeg", size_bytes=len(data),
                                  blob_original=f"{UPLOADS}/{original_blob_name(sha)}", uploaded_by="uploader"))
        await client.record_media(trap.id, MediaBatch(items=items))
        reviews = {items[0].id: "leopard cat", items[1].id: "leopard cat", items[2].id: "civet"}
        for media_id, label in reviews.items():
            await client.review(media_id, Review(group=Group.MAMMAL, label=label, reviewer="reviewer"))
        return reviews
    finally:
        await client.close()


async def test_from_reviews_snapshot_of_reviewed_media(ingest_url: str, key_path: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    blob_root = tmp_path / "blobs"
    reviews = await record_uploads(ingest_url, key_path, blob_root)
    for name, value in {"ML_INGEST_URL": ingest_url, "ML_AUTH_KEY_PATH": str(key_path), "ML_BLOB_BACKEND": "local",
                        "ML_BLOB_ROOT": str(blob_root)}.items():
        monkeypatch.setenv(name, value)

    def run(*argv: str) -> tuple[int, dict]:
        status = main(["datasets", "from-reviews", *argv, "--json"])
        return status, json.loads(capsys.readouterr().out)

    # main() runs its own event loop: off this test's loop, in a worker thread.
    status, answer = await asyncio.to_thread(run)
    assert status == 0
    snapshot = answer["snapshot"]
    assert answer["media_seen"] == 4 and answer["images_written"] == 3
    assert snapshot["per_class"] == {"civet": 1, "leopard_cat": 2}
    assert snapshot["per_site"] == {"singalila-ridge": 3}
    assert snapshot["source_format"] == "reviews" and snapshot["problems"] == 0
    manifest = json.loads((blob_root / "datasets" / "snapshots" / f"{snapshot['id']}.json").read_text())
    assert {item["sha256"] for item in manifest["items"]} == set(reviews)

    status, again = await asyncio.to_thread(run)
    assert (status, again["created"], again["snapshot"]["id"]) == (0, False, snapshot["id"])
    status, machine = await asyncio.to_thread(run, "--include-machine", "--name", "all-media")
    assert status == 0 and machine["snapshot"]["images"] == 3  # the unreviewed one has no machine label yet


def test_from_reviews_no_key_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ML_AUTH_KEY_PATH", str(tmp_path / "absent.pem"))
    monkeypatch.setenv("ML_BLOB_ROOT", str(tmp_path / "blobs"))
    assert main(["datasets", "from-reviews"]) == 1
    assert "no signing key" in capsys.readouterr().err


def test_from_reviews_ingest_down_clear_error(key_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ML_AUTH_KEY_PATH", str(key_path))
    monkeypatch.setenv("ML_BLOB_ROOT", str(tmp_path / "blobs"))
    monkeypatch.setenv("ML_INGEST_URL", f"http://127.0.0.1:{free_port()}")
    assert main(["datasets", "from-reviews", "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["error"]["code"] and "Traceback" not in captured.err
