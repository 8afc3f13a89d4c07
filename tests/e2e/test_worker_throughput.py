"""The worker's path against the upload path, on the Azure stand-ins and the session's
Triton: 200 images through a normal upload (classified in the request), 200 left pending
(a second gateway whose preprocess is unreachable) and finished by one worker from the
queue, and a 20-image interactive upload alone and while the worker drains a backlog.
Figures only (no timing asserts): test-artifacts/worker-throughput.md."""

import sys
import time

import httpx
import pytest

from ailurus_tools.processes import ManagedProcess, free_port
from ailurus_tools.stack import ROOT
from tests.support.auth import auth_headers
from tests.support.report import markdown_table
from tests.support.samples import sample
from tests.support.stacks import running_stack, stack_config
from tests.support.uploads import jpeg_variants, upload

pytestmark = pytest.mark.slow
BATCH = 200
INTERACTIVE = 20
PICTURE = "cameratrap/serengeti_burst_S1_D04_R6_PICT0021.JPG"


@pytest.fixture(scope="module")
def stack(azurite, cosmos, triton, tmp_path_factory):
    config = stack_config(tmp_path_factory.mktemp("throughput"), triton_grpc_url=triton.grpc_url,
                          extra_env={"ingest": {"INGEST_COSMOS_DATABASE": "throughput"},
                                     "gateway": {"GATEWAY_PENDING_DELAY_S": "0",
                                                 "GATEWAY_QUEUE_PENDING_NAME": "throughput-pending"},
                                     "worker": {"WORKER_POLL_INTERVAL_S": "0.2",
                                                "WORKER_QUEUE_PENDING_NAME": "throughput-pending"}})
    with running_stack(config, azurite=azurite, cosmos=cosmos) as stack:
        yield stack


def files(tag: str, count: int) -> list:
    return [("files", (name, data, "image/jpeg")) for name, data in jpeg_variants(sample(PICTURE), count, tag=tag)]


def count_classified(api: httpx.Client, trap: str) -> int:
    items = api.get("/api/v1/media", params={"trap_id": trap, "limit": 200}).json()["items"]
    return sum(m["status"] == "classified" for m in items)


def pending_gateway(stack, logs):
    """A second gateway on the same stores whose preprocess is unreachable: it leaves every file pending."""
    port = free_port()
    env = stack.service("gateway").env | {"GATEWAY_PORT": str(port), "GATEWAY_PREPROCESS_URL": f"http://127.0.0.1:{free_port()}"}
    process = ManagedProcess("gateway-pending", [sys.executable, "-m", "gateway"], env=env, cwd=ROOT,
                             ready_url=f"http://127.0.0.1:{port}/readyz", log_path=logs / "gateway-pending.log")
    return process.start(timeout_s=60), f"http://127.0.0.1:{port}"


def drain(api: httpx.Client, trap: str, total: int, *, within_s: float = 300) -> float:
    started = time.monotonic()
    while count_classified(api, trap) < total:
        assert time.monotonic() - started < within_s
        time.sleep(0.25)
    return time.monotonic() - started


def test_worker_path_against_upload_path(stack):
    worker = stack.services["worker"]
    headers = auth_headers(stack)
    with httpx.Client(base_url=stack.gateway_url, timeout=300, headers=headers) as api:
        for trap in ("upload-path", "worker-path", "backlog", "interactive"):
            assert api.post("/api/v1/traps", json={"id": trap, "name": trap, "latitude": 27.2,
                                                   "longitude": 88.3}).status_code == 201
        upload(api, "interactive", files("warm", 4))  # connections and model warm
        t0 = time.monotonic()
        results = upload(api, "upload-path", files("upload-path", BATCH))
        upload_s = time.monotonic() - t0
        assert [r["status"] for r in results] == ["classified"] * BATCH

        t0 = time.monotonic()
        idle = upload(api, "interactive", files("idle", INTERACTIVE))
        idle_s = time.monotonic() - t0

        worker.stop()
        side, side_url = pending_gateway(stack, stack.logs)
        try:
            with httpx.Client(base_url=side_url, timeout=300, headers=headers) as pending_api:
                for trap in ("worker-path", "backlog"):
                    assert [r["status"] for r in upload(pending_api, trap, files(trap, BATCH))] == ["pending"] * BATCH
        finally:
            side.stop()
        worker.start(timeout_s=60)
        worker_s = drain(api, "worker-path", BATCH)  # the queue is first in, first out: this trap first
        t0 = time.monotonic()
        busy = upload(api, "interactive", files("busy", INTERACTIVE))  # while the backlog drains
        busy_s = time.monotonic() - t0
        backlog_left = BATCH - count_classified(api, "backlog")
        drain(api, "backlog", BATCH)
        items = api.get("/api/v1/media", params={"trap_id": "worker-path", "limit": 200}).json()["items"]

    with markdown_table("worker-throughput.md", ["path", "images", "seconds", "images/s"]) as rows:
        rows.append(f"| upload (one request, classified in it) | {BATCH} | {upload_s:.2f} | {BATCH / upload_s:.1f} |")
        rows.append(f"| worker from the queue (pending media, concurrency 4) | {BATCH} | {worker_s:.2f} | "
                    f"{BATCH / worker_s:.1f} |")
        rows.append(f"| interactive upload, idle | {INTERACTIVE} | {idle_s:.2f} | {INTERACTIVE / idle_s:.1f} |")
        rows.append(f"| interactive upload, worker draining ({backlog_left} left when it started) | {INTERACTIVE} | "
                    f"{busy_s:.2f} | {INTERACTIVE / busy_s:.1f} |")
    assert {r["status"] for r in idle + busy} == {"classified"}
    assert len({m["id"] for m in items}) == BATCH and {m["status"] for m in items} == {"classified"}
