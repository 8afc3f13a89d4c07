"""A switch's announcement reaches ingest's outbox even when ingest is down at the moment of
the switch (it restarts within the retry window), and is given up cleanly when it stays down."""

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ailurus_common.auth import LocalIssuer
from ailurus_common.auth.service import ServiceTokens
from ailurus_common.auth.settings import AuthSettings
from ailurus_common.clients.ingest import IngestClient
from ailurus_common.contracts.events import EventType
from ailurus_common.contracts.serving import ServedModel, ServingState
from ailurus_common.storage.local_blob import LocalBlobStore
from ailurus_ml.serving import Serving, model_event
from ailurus_tools.processes import ManagedProcess, free_port
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
STATE = ServingState(live=ServedModel(name="station_c", version="2"), previous=ServedModel(name="ailurus_classifier"),
                     changed_at=datetime(2026, 12, 2, 23, 0, tzinfo=UTC))


def serving(tmp_path: Path, client: IngestClient, *, announce_timeout_s: float) -> Serving:
    return Serving(LocalBlobStore(tmp_path / "blobs"), triton_grpc_url=f"127.0.0.1:{free_port()}",
                   base_model="ailurus_classifier", promoted_dir=None, local_repository=None, drain_s=0,
                   announce=lambda event: client.append_events([event]), announce_timeout_s=announce_timeout_s)


async def test_announcement_waits_for_ingest_to_come_back(tmp_path: Path, logs_dir: Path) -> None:
    key_path = tmp_path / "auth" / "key.pem"
    LocalIssuer.from_key_file(key_path)
    port = free_port()
    client = IngestClient(f"http://127.0.0.1:{port}", timeout_s=5,
                          tokens=ServiceTokens(AuthSettings(auth_key_path=key_path)))
    switch = serving(tmp_path, client, announce_timeout_s=90)
    event = model_event(EventType.MODEL_PROMOTED, STATE)
    ingest = ManagedProcess("ingest", [sys.executable, "-m", "ingest"], env={
        "INGEST_PORT": str(port), "INGEST_SQLITE_PATH": str(tmp_path / "metadata.sqlite3"),
        "INGEST_AUTH_KEY_PATH": str(key_path)},
        ready_url=f"http://127.0.0.1:{port}/readyz", log_path=logs_dir / "ingest-announce.log", cwd=ROOT)
    try:
        announcing = asyncio.create_task(switch.announce_switch(event))
        await asyncio.sleep(1.5)
        assert not announcing.done()  # ingest is down: still trying
        await asyncio.to_thread(ingest.start, timeout_s=60)
        assert await asyncio.wait_for(announcing, timeout=60) is True
        outbox = await client.pending_events(limit=10)
        assert [e.id for e in outbox.items] == [event.id]
        # Announced again (a retried switch), it is recorded once.
        assert await switch.announce_switch(event) is True
        assert [e.id for e in (await client.pending_events(limit=10)).items] == [event.id]
    finally:
        ingest.stop()
        switch.close()
        await client.close()


async def test_announcement_given_up_after_its_window_never_raises(tmp_path: Path) -> None:
    key_path = tmp_path / "auth" / "key.pem"
    LocalIssuer.from_key_file(key_path)
    client = IngestClient(f"http://127.0.0.1:{free_port()}", timeout_s=1,
                          tokens=ServiceTokens(AuthSettings(auth_key_path=key_path)))
    switch = serving(tmp_path, client, announce_timeout_s=1.0)
    try:
        assert await switch.announce_switch(model_event(EventType.MODEL_ROLLED_BACK, STATE)) is False
    finally:
        switch.close()
        await client.close()
