"""A season's card at scale (issue 12 item 6): a job over 2,000 images in an Azurite
container, on the production-shaped stack (Azurite Blob + Queue, the Cosmos stand-in), its
worker killed with SIGKILL in the middle of a shard. The killed worker's shard comes back
(its message is no longer renewed) and a new worker finishes it; every image ends as exactly
one media. The same kind of images through the upload path gives the rate to compare with.
Figures: test-artifacts/job-scale.md."""

import os
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from azure.storage.blob import BlobServiceClient

from tests.support.auth import auth_headers
from tests.support.report import markdown_table
from tests.support.samples import sample
from tests.support.stacks import running_stack, stack_config
from tests.support.uploads import jpeg_variants, upload

pytestmark = pytest.mark.slow
TRAP = {"id": "scale-ridge", "name": "Scale ridge", "latitude": 27.3, "longitude": 88.5}
IMAGES = 2000
SHARD_ITEMS = 100
UPLOAD_IMAGES = 200  # the upload path's rate, in requests of 20 from two clients
IMAGE = "cameratrap/md_mike_deer_20241018004500_44.jpg"


@pytest.fixture(scope="module")
def stack(azurite, cosmos, triton, tmp_path_factory):
    config = stack_config(tmp_path_factory.mktemp("job-scale"), triton_grpc_url=triton.grpc_url,
                          extra_env={"ingest": {"INGEST_COSMOS_DATABASE": "job-scale"},
                                     "gateway": {"GATEWAY_JOB_SHARD_ITEMS": str(SHARD_ITEMS)},
                                     # As a pod sized for jobs runs (the default 2 leaves a shared
                                     # preprocess to uploads); the upload path fans out as far.
                                     "worker": {"WORKER_POLL_INTERVAL_S": "0.2", "WORKER_JOB_CONCURRENCY": "8",
                                                # A dead worker's shard is back this long after it died.
                                                "WORKER_JOB_VISIBILITY_TIMEOUT_S": "15"}})
    with running_stack(config, azurite=azurite, cosmos=cosmos) as stack:
        headers = auth_headers(stack, "admin")
        assert httpx.post(f"{stack.gateway_url}/api/v1/traps", json=TRAP, headers=headers).status_code == 201
        yield stack


def fill_backlog(azurite, prefix: str, count: int) -> None:
    """``count`` distinct JPEGs under backlog/<prefix>/ in Azurite, written 8 at a time."""
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    container = service.get_container_client("backlog")
    if not container.exists():
        container.create_container()
    files = jpeg_variants(sample(IMAGE), count, tag=prefix)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda f: container.upload_blob(f"{prefix}/{f[0]}", f[1], overwrite=True), files))
    service.close()


def trap_media(api: httpx.Client) -> list[dict]:
    items, cursor = [], None
    while True:
        params = {"trap_id": TRAP["id"], "limit": 200} | ({"cursor": cursor} if cursor else {})
        answer = api.get("/api/v1/media", params=params)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        items += page["items"]
        if not (cursor := page["next_cursor"]):
            return items


def redeliveries(stack) -> float:
    text = httpx.get(f"{stack.worker_url}/metrics").text
    found = re.search(r"^ailurus_worker_job_shard_redeliveries_total (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def upload_rate(stack) -> float:
    """Images per second through POST /traps/{id}/images (20 per request, two clients)."""
    variants = jpeg_variants(sample(IMAGE), UPLOAD_IMAGES, tag="scale-upload")
    files = [("files", (f"upload-{name}", data, "image/jpeg")) for name, data in variants]
    batches = [files[i:i + 20] for i in range(0, len(files), 20)]

    def send(batch):
        with httpx.Client(base_url=stack.gateway_url, headers=auth_headers(stack, "uploader"), timeout=300) as api:
            return upload(api, TRAP["id"], batch)

    started_s = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        results = [r for batch in pool.map(send, batches) for r in batch]
    elapsed_s = time.perf_counter() - started_s
    assert [r["status"] for r in results] == ["classified"] * UPLOAD_IMAGES
    return UPLOAD_IMAGES / elapsed_s


def test_a_2000_image_job_survives_a_killed_worker_with_nothing_lost_or_doubled(stack, azurite):
    fill_backlog(azurite, "season-1", IMAGES)
    uploads_per_s = upload_rate(stack)
    worker = stack.services["worker"]
    with httpx.Client(base_url=stack.gateway_url, headers=auth_headers(stack, "uploader"), timeout=120) as api:
        submitted = api.post("/api/v1/jobs", json={"source": {"container": "backlog", "prefix": "season-1/"},
                                                   "trap_id": TRAP["id"]})
        assert submitted.status_code == 201, submitted.text
        job_id = submitted.json()["id"]
        submitted_at = time.monotonic()
        deadline = submitted_at + 600
        while (job := api.get(f"/api/v1/jobs/{job_id}").json())["done"] < IMAGES // 4:
            assert time.monotonic() < deadline and job["status"] in ("queued", "running"), job
            time.sleep(0.2)
        os.killpg(worker.process.pid, signal.SIGKILL)  # in the middle of a shard of 100
        done_at_kill = job["done"]
        killed_at = time.monotonic()
        before_kill_per_s = done_at_kill / (killed_at - submitted_at)
        worker.stop()
        worker.start(timeout_s=60)
        while (job := api.get(f"/api/v1/jobs/{job_id}").json())["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.5)
        after_kill_s = time.monotonic() - killed_at
        redelivered = redeliveries(stack)
    with httpx.Client(base_url=stack.gateway_url, headers=auth_headers(stack, "admin"), timeout=120) as admin:
        media = trap_media(admin)
    # A record is one source file: a redelivered item recorded twice would show as two media with
    # one file name (blob names and upload names are all distinct here).
    names = [m["file_name"] for m in media]
    lost = IMAGES + UPLOAD_IMAGES - len(set(names))
    duplicated = len(names) - len(set(names))
    ratio = before_kill_per_s / uploads_per_s
    with markdown_table("job-scale.md", ["images", "shards", "done when killed", "shards redelivered", "lost",
                                         "duplicated", "job images/s before the kill", "job images/s (incl. the kill)",
                                         "upload path images/s", "job / upload", "finished after kill (s)"]) as rows:
        rows.append(f"| {IMAGES} | {IMAGES // SHARD_ITEMS} | {done_at_kill} | {redelivered:.0f} | {lost} | "
                    f"{duplicated} | {before_kill_per_s:.1f} | {job['throughput_images_s']:.1f} | {uploads_per_s:.1f} | "
                    f"{ratio:.2f} | "
                    f"{after_kill_s:.0f} |")
    assert (job["status"], job["done"], job["failed"], job["pending"]) == ("done", IMAGES, 0, 0)
    assert (lost, duplicated) == (0, 0)  # the job's 2,000 and the upload's 200, each once
    assert {m["status"] for m in media} == {"classified"}
    assert redelivered >= 1  # the killed worker's shard came back to the new one
