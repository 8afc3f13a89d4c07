"""Upload session state kept in the blob store: a new process finds it, expiry drops it
with its staged blocks (the local folder store, real files)."""

import hashlib
import os
from pathlib import Path

import pytest

from ailurus_common.storage.blob import STAGING
from ailurus_common.storage.local_blob import LocalBlobStore
from gateway.sessions import SessionNotFound, UploadSessions


async def opened_store(root: Path) -> LocalBlobStore:
    store = LocalBlobStore(root)
    await store.ensure_containers()
    return store


async def test_session_state_after_restart_resumes_at_staged_offset(tmp_path: Path) -> None:
    data = os.urandom(3000)
    first = UploadSessions(await opened_store(tmp_path), pipeline=None, ttl_s=3600)
    state = await first.open("trap-1", user="ada", file_name="a.jpg", size_bytes=len(data),
                             sha256=hashlib.sha256(data).hexdigest())
    await first.write("trap-1", state.record.id, 0, data[:1000], user="ada", notify=lambda _: None)
    await first.write("trap-1", state.record.id, 1000, data[1000:2000], user="ada", notify=lambda _: None)
    restarted = UploadSessions(await opened_store(tmp_path), pipeline=None, ttl_s=3600)  # a new process
    assert (await restarted.state("trap-1", state.record.id, user="ada")).offset_bytes == 2000
    with pytest.raises(SessionNotFound):
        await restarted.state("trap-1", state.record.id, user="mallory")
    with pytest.raises(SessionNotFound):
        await restarted.state("trap-2", state.record.id, user="ada")


async def test_sweep_expired_session_drops_record_and_staged_blocks(tmp_path: Path) -> None:
    store = await opened_store(tmp_path)
    sessions = UploadSessions(store, pipeline=None, ttl_s=3600)
    kept = await sessions.open("trap-1", user="ada", file_name="kept.jpg", size_bytes=10, sha256="0" * 64)
    expiring = UploadSessions(store, pipeline=None, ttl_s=1e-6)
    gone = await expiring.open("trap-1", user="ada", file_name="gone.jpg", size_bytes=10, sha256="1" * 64)
    await store.stage_block(STAGING, f"blocks/{gone.record.id}", "0" * 16, b"12345")
    assert await sessions.sweep() == 1
    assert await store.staged_blocks(STAGING, f"blocks/{gone.record.id}") == {}
    assert await store.list_names(STAGING, "sessions/") == [f"sessions/{kept.record.id}.json"]
    with pytest.raises(SessionNotFound):
        await sessions.state("trap-1", gone.record.id, user="ada")
    assert list((tmp_path / ".staged").rglob("block-*")) == []
