"""Nothing lost: Triton dies mid-batch -> the affected files are stored and pending, and
the worker takes them from the pending-media queue and classifies them once Triton is
back, without a new upload."""

import os
import signal
import threading
import time

import httpx
import pytest

from ailurus_tools.processes import free_port
from tests.support.auth import auth_headers
from tests.support.samples import sample
from tests.support.stacks import running_stack, stack_config
from tests.support.uploads import jpeg_variants, upload

pytestmark = pytest.mark.slow
BATCH = 60


@pytest.fixture(scope="module")
def recovery_stack(azurite, cosmos, tmp_path_factory):
    config = stack_config(tmp_path_factory.mktemp("recovery"), triton_ports=(free_port(), free_port(), free_port()),
                          extra_env={"ingest": {"INGEST_COSMOS_DATABASE": "recovery"},
                                     "gateway": {"GATEWAY_PENDING_DELAY_S": "1", "GATEWAY_FANOUT_CONCURRENCY": "4"},
                                     "worker": {"WORKER_RETRY_BASE_DELAY_S": "1", "WORKER_RETRY_MAX_DELAY_S": "4",
                                                "WORKER_POLL_INTERVAL_S": "0.5"},
                                     "preprocess": {"PREPROCESS_TRITON_TIMEOUT_S": "3"}})
    with running_stack(config, azurite=azurite, cosmos=cosmos) as stack:
        yield stack


def triton_inferences(metrics_url: str) -> float:
    text = httpx.get(metrics_url, timeout=5).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith("nv_inference_count{"))


def test_triton_killed_mid_batch_leaves_pending_then_classified(recovery_stack):
    stack = recovery_stack
    files = [("files", (name, data, "image/jpeg"))
             for name, data in jpeg_variants(sample("cameratrap/serengeti_burst_S1_D04_R6_PICT0020.JPG"), BATCH)]
    with httpx.Client(base_url=stack.gateway_url, timeout=300, headers=auth_headers(stack)) as api:
        assert api.post("/api/v1/traps", json={"id": "recovery", "name": "recovery", "latitude": 27.0,
                                               "longitude": 88.0}).status_code == 201
        results: list[dict] = []
        uploader = threading.Thread(target=lambda: results.extend(upload(api, "recovery", files)))
        uploader.start()
        # Let part of the batch through Triton, then kill it hard in the middle of it (the
        # upload's records are written together at the end, so Triton's own count tells).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if triton_inferences(stack.triton.metrics_url) >= 3:
                os.killpg(stack.triton.process.process.pid, signal.SIGKILL)  # a crash, not a shutdown
                break
            time.sleep(0.05)
        uploader.join()

        statuses = [r["status"] for r in results]
        assert len(results) == BATCH
        assert set(statuses) <= {"classified", "pending"}
        assert "pending" in statuses and "classified" in statuses
        pending = [r["media_id"] for r in results if r["status"] == "pending"]

        stack.triton.start(log_path=stack.logs / "triton-restarted.log")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            states = {api.get(f"/api/v1/media/{m}").json()["status"] for m in pending}
            if states == {"classified"}:
                break
            time.sleep(1)
        assert states == {"classified"}
        listing = api.get("/api/v1/media", params={"trap_id": "recovery", "limit": 200}).json()
        assert len(listing["items"]) == BATCH  # every acknowledged file, no extra, no new upload
