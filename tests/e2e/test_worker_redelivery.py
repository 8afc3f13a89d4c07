"""A worker killed mid-work loses nothing and finishes nothing twice: uploads are left
pending (the gateway's preprocess is unreachable), the worker takes them from the
pending-media queue on Azurite, is killed with SIGKILL while it has messages in flight,
and a new worker finishes them once their visibility timeout (and ingest lease) ran out.
Figures: test-artifacts/worker-redelivery.md."""

import os
import signal
import time

import httpx
import pytest

from ailurus_tools.processes import free_port
from tests.support.auth import auth_headers
from tests.support.report import markdown_table
from tests.support.samples import sample
from tests.support.stacks import running_stack, stack_config
from tests.support.uploads import jpeg_variants, upload

pytestmark = pytest.mark.slow
FILES = 40
TRAP = "redelivery"


@pytest.fixture(scope="module")
def stack(azurite, cosmos, triton, tmp_path_factory):
    closed = f"http://127.0.0.1:{free_port()}"  # the gateway's own classify calls fail: every file pending
    config = stack_config(tmp_path_factory.mktemp("redelivery"), triton_grpc_url=triton.grpc_url,
                          extra_env={"ingest": {"INGEST_COSMOS_DATABASE": "redelivery"},
                                     "gateway": {"GATEWAY_PREPROCESS_URL": closed, "GATEWAY_PENDING_DELAY_S": "0",
                                                 "GATEWAY_QUEUE_PENDING_NAME": "redelivery-pending"},
                                     "worker": {"WORKER_CONCURRENCY": "2", "WORKER_PREPROCESS_TIMEOUT_S": "5",
                                                "WORKER_INGEST_TIMEOUT_S": "5", "WORKER_LEASE_MARGIN_S": "2",
                                                "WORKER_POLL_INTERVAL_S": "0.2",
                                                "WORKER_QUEUE_PENDING_NAME": "redelivery-pending"}})
    with running_stack(config, azurite=azurite, cosmos=cosmos) as stack:
        yield stack


def statuses(api: httpx.Client) -> list[dict]:
    return api.get("/api/v1/media", params={"trap_id": TRAP, "limit": 200}).json()["items"]


def test_worker_killed_mid_work_messages_redelivered_and_finished_once(stack):
    worker = stack.services["worker"]
    worker.stop()  # the backlog builds up first
    files = [("files", (name, data, "image/jpeg"))
             for name, data in jpeg_variants(sample("cameratrap/serengeti_burst_S1_D04_R6_PICT0020.JPG"), FILES,
                                             tag=TRAP)]
    with httpx.Client(base_url=stack.gateway_url, timeout=120, headers=auth_headers(stack)) as api:
        assert api.post("/api/v1/traps", json={"id": TRAP, "name": TRAP, "latitude": 27.1,
                                               "longitude": 88.2}).status_code == 201
        results = upload(api, TRAP, files)
        assert [r["status"] for r in results] == ["pending"] * FILES
        uploaded = {r["media_id"] for r in results}

        worker.start(timeout_s=60)
        started = time.monotonic()
        while sum(m["status"] == "classified" for m in statuses(api)) < FILES // 4:
            assert time.monotonic() - started < 60
            time.sleep(0.05)
        os.killpg(worker.process.pid, signal.SIGKILL)  # a crash with messages in flight
        killed_at = time.monotonic()
        done_at_kill = sum(m["status"] == "classified" for m in statuses(api))
        worker.stop()
        worker.start(timeout_s=60)
        while True:
            items = statuses(api)
            if all(m["status"] == "classified" for m in items) or time.monotonic() - killed_at > 120:
                break
            time.sleep(0.5)
        finished_s = time.monotonic() - killed_at

    ids = [m["id"] for m in items]
    lost = len(uploaded - set(ids))
    duplicated = len(ids) - len(set(ids))
    with markdown_table("worker-redelivery.md", ["files", "classified when killed", "finished after kill",
                                                 "lost", "duplicated", "not classified", "all done after kill (s)"]) as rows:
        rows.append(f"| {FILES} | {done_at_kill} | {FILES - done_at_kill} | {lost} | {duplicated} | "
                    f"{sum(m['status'] != 'classified' for m in items)} | {finished_s:.1f} |")
    assert done_at_kill < FILES  # the kill came mid-work
    assert (lost, duplicated) == (0, 0)
    assert {m["status"] for m in items} == {"classified"}
