"""Batch jobs through the whole stack (folder + SQLite, its own worker): a backlog of images
in the `backlog` container becomes media of a trap, shard by shard off the jobs queue; the
job's status and counts follow; a cancelled job stops; a coarse caller sees only its own
jobs and no names; the interactive upload path answers meanwhile."""

import asyncio
import json
import re
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from ailurus_common.contracts.work import JobShard
from ailurus_common.queue.factory import open_work_queue
from ailurus_common.queue.settings import JOBS_QUEUE
from ailurus_common.records import utc_now
from tests.support.auth import auth_headers
from tests.support.report import markdown_table
from tests.support.samples import sample
from tests.support.stacks import running_stack, stack_config
from tests.support.uploads import jpeg_variants

pytestmark = pytest.mark.slow
TRAP = {"id": "backlog-ridge", "name": "Backlog ridge", "latitude": 27.4, "longitude": 88.4}
IMAGES = 30


@pytest.fixture(scope="module")
def stack(triton, tmp_path_factory):
    config = stack_config(tmp_path_factory.mktemp("jobs"), backend="local", triton_grpc_url=triton.grpc_url,
                          extra_env={"gateway": {"GATEWAY_JOB_SHARD_ITEMS": "8"},
                                     "worker": {"WORKER_POLL_INTERVAL_S": "0.2", "WORKER_JOB_CANCEL_CHECK_S": "0.2"}})
    with running_stack(config) as stack:
        headers = auth_headers(stack, "admin")
        assert httpx.post(f"{stack.gateway_url}/api/v1/traps", json=TRAP, headers=headers).status_code == 201
        yield stack


def backlog(stack, prefix: str, count: int, *, extra: dict[str, bytes] | None = None) -> Path:
    """``count`` distinct camera-trap JPEGs (and ``extra`` files) under backlog/<prefix>/."""
    folder = stack.config.data_dir / "data" / "blobs" / "backlog" / prefix
    folder.mkdir(parents=True)
    for name, data in jpeg_variants(sample("cameratrap/serengeti_burst_S1_D04_R6_PICT0020.JPG"), count, tag=prefix):
        (folder / name).write_bytes(data)
    for name, data in (extra or {}).items():
        (folder / name).write_bytes(data)
    return folder


def wait_until_finished(api: httpx.Client, job_id: str, timeout_s: float = 240) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = api.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} not finished in {timeout_s} s: {job}")


def test_job_classifies_a_backlog_into_media_of_the_trap(stack):
    backlog(stack, "card-1", IMAGES, extra={"notes.txt": b"not an image"})
    with httpx.Client(base_url=stack.gateway_url, headers=auth_headers(stack, "uploader"), timeout=60) as api:
        submitted = api.post("/api/v1/jobs", json={"source": {"container": "backlog", "prefix": "card-1/"},
                                                   "trap_id": TRAP["id"]})
        assert submitted.status_code == 201, submitted.text
        job = submitted.json()
        assert job["total"] == IMAGES + 1 and job["status"] == "queued"
        # The interactive path answers while the job runs.
        [(name, data)] = jpeg_variants(sample("exif/orient_Landscape_1.jpg"), 1, tag="beside-job")
        started_s = time.perf_counter()
        upload = api.post(f"/api/v1/traps/{TRAP['id']}/images", files=[("files", (name, data, "image/jpeg"))])
        upload_s = time.perf_counter() - started_s
        assert upload.status_code == 200 and upload.json()["results"][0]["status"] == "classified"
        finished = wait_until_finished(api, job["id"])
    with markdown_table("batch-jobs.md", ["job items", "shards", "job images/s", "upload of 1 file beside it (s)"]) as rows:
        rows.append(f"| {IMAGES + 1} | {-(-(IMAGES + 1) // 8)} | {finished['throughput_images_s']:.1f} | "
                    f"{upload_s:.2f} |")
    assert (finished["status"], finished["done"], finished["failed"], finished["pending"]) == ("done", IMAGES, 1, 0)
    assert finished["throughput_images_s"] > 0 and finished["eta_s"] == 0
    with httpx.Client(base_url=stack.gateway_url, headers=auth_headers(stack, "admin"), timeout=60) as admin:
        media = admin.get("/api/v1/media", params={"trap_id": TRAP["id"], "limit": 200}).json()["items"]
    assert len(media) == IMAGES + 1 and {m["status"] for m in media} == {"classified"}  # the job's and the upload
    assert all(m["observations"] and m["observations"][0]["method"] == "machine" for m in media)


def test_job_run_again_counts_held_images_as_done_once(stack):
    """A backlog submitted twice: the second job finds every image held already (same bytes,
    same media), records nothing twice and ends done."""
    with httpx.Client(base_url=stack.gateway_url, headers=auth_headers(stack, "uploader"), timeout=60) as api:
        before = len(api.get("/api/v1/media", params={"trap_id": TRAP["id"], "limit": 200}).json()["items"])
        job = api.post("/api/v1/jobs", json={"source": {"container": "backlog", "prefix": "card-1/"},
                                             "trap_id": TRAP["id"]}).json()
        finished = wait_until_finished(api, job["id"])
        after = len(api.get("/api/v1/media", params={"trap_id": TRAP["id"], "limit": 200}).json()["items"])
    assert (finished["status"], finished["done"], finished["failed"]) == ("done", IMAGES, 1)
    assert after == before


def send_shard(stack, shard: JobShard) -> None:
    """``shard`` on the stack's jobs queue, as a gateway sends it."""
    async def send() -> None:
        queue = open_work_queue(JOBS_QUEUE, backend="sqlite", max_attempts=None,
                                sqlite_path=stack.config.data_dir / "data" / "queue.sqlite3")
        await queue.ensure()
        await queue.send(shard.model_dump_json())
        await queue.close()
    asyncio.run(send())


def shard_outcomes(stack, outcome: str) -> float:
    text = httpx.get(f"{stack.worker_url}/metrics").text
    found = re.search(rf'^ailurus_worker_job_shards_total{{outcome="{outcome}"}} (\S+)$', text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_shards_sent_before_their_job_is_recorded_wait_for_it(stack):
    """The gateway enqueues every shard, then records the job: a worker that meets a shard
    first puts it back until the job is there, then works it (nothing lost, nothing early)."""
    folder = backlog(stack, "card-early", 5)
    job_id = uuid.uuid4().hex
    send_shard(stack, JobShard(job_id=job_id, shard_id=f"{job_id}:0", trap_id=TRAP["id"], container="backlog",
                               names=sorted(f"card-early/{p.name}" for p in folder.iterdir()),
                               submitted_at=utc_now()))
    deadline = time.monotonic() + 60
    while not shard_outcomes(stack, "unrecorded"):
        assert time.monotonic() < deadline, "the worker never met the shard of the unrecorded job"
        time.sleep(0.2)
    service = {"Authorization": f"Bearer {stack.service_token()}"}
    with httpx.Client(base_url=stack.ingest_url, headers=service, timeout=60) as ingest:
        recorded = ingest.post("/v1/jobs", json={"id": job_id, "trap_id": TRAP["id"], "total": 5,
                                                 "source": {"container": "backlog", "prefix": "card-early/"},
                                                 "submitted_by": "gateway-test"})
        assert recorded.status_code == 201, recorded.text
        assert ingest.post("/v1/jobs", json={"id": job_id, "source": {}, "total": 1,
                                             "submitted_by": "gateway-test"}).status_code == 409
    with httpx.Client(base_url=stack.gateway_url, headers=auth_headers(stack, "admin"), timeout=60) as api:
        finished = wait_until_finished(api, job_id)
    assert (finished["status"], finished["done"], finished["failed"]) == ("done", 5, 0)


def test_shard_of_a_job_never_recorded_is_dropped_without_a_trace(stack):
    """A gateway that died between its sends and the job's record leaves orphans: long past
    their send time they are dropped, and their images never become media."""
    folder = backlog(stack, "card-orphan", 3)
    job_id = uuid.uuid4().hex
    with httpx.Client(base_url=stack.gateway_url, headers=auth_headers(stack, "admin"), timeout=60) as api:
        before = len(api.get("/api/v1/media", params={"trap_id": TRAP["id"], "limit": 200}).json()["items"])
        dropped = shard_outcomes(stack, "no_job")
        send_shard(stack, JobShard(job_id=job_id, shard_id=f"{job_id}:0", trap_id=TRAP["id"], container="backlog",
                                   names=sorted(f"card-orphan/{p.name}" for p in folder.iterdir()),
                                   submitted_at=utc_now() - timedelta(hours=1)))
        deadline = time.monotonic() + 60
        while shard_outcomes(stack, "no_job") == dropped:
            assert time.monotonic() < deadline, "the orphan shard was never dropped"
            time.sleep(0.2)
        assert api.get(f"/api/v1/jobs/{job_id}").status_code == 404
        after = len(api.get("/api/v1/media", params={"trap_id": TRAP["id"], "limit": 200}).json()["items"])
    assert after == before


def test_cancelled_job_stops_and_stays_cancelled(stack):
    backlog(stack, "card-2", 40)
    with httpx.Client(base_url=stack.gateway_url, headers=auth_headers(stack, "uploader"), timeout=60) as api:
        job = api.post("/api/v1/jobs", json={"source": {"container": "backlog", "prefix": "card-2/"},
                                             "trap_id": TRAP["id"]}).json()
        cancelled = api.delete(f"/api/v1/jobs/{job['id']}")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        time.sleep(3)
        later = api.get(f"/api/v1/jobs/{job['id']}").json()
        assert later["status"] == "cancelled" and later["done"] + later["failed"] < 40
        assert api.delete(f"/api/v1/jobs/{job['id']}").json()["error"]["code"] == "job_finished"


@pytest.mark.parametrize("app_only", [False, True], ids=["other-uploader", "partner-app"])
def test_coarse_caller_sees_only_its_own_jobs_and_no_names(stack, app_only):
    owner = auth_headers(stack, "uploader")
    with httpx.Client(base_url=stack.gateway_url, headers=owner, timeout=60) as api:
        mine = api.get("/api/v1/jobs").json()["items"]
    assert mine and all("submitted_by" not in j for j in mine)
    token = stack.token("uploader", subject="someone-else", app_only=app_only)
    with httpx.Client(base_url=stack.gateway_url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as other:
        assert other.get("/api/v1/jobs").json()["items"] == []
        assert other.get(f"/api/v1/jobs/{mine[0]['id']}").status_code == 404
        assert other.delete(f"/api/v1/jobs/{mine[0]['id']}").status_code == 404
    with httpx.Client(base_url=stack.gateway_url, headers=auth_headers(stack, "admin"), timeout=60) as admin:
        assert {j["id"] for j in mine} <= {j["id"] for j in admin.get("/api/v1/jobs").json()["items"]}
    viewer = auth_headers(stack, "viewer")
    assert httpx.get(f"{stack.gateway_url}/api/v1/jobs", headers=viewer).status_code == 403


def test_cli_submits_follows_and_cancels(stack, monkeypatch, capsys):
    from ailurus_ml.cli import main

    backlog(stack, "card-3", 6)
    monkeypatch.setenv("AILURUS_TOKEN", stack.token("uploader"))
    monkeypatch.setenv("AILURUS_URL", stack.gateway_url)
    args = ["jobs", "submit", "--container", "backlog", "--prefix", "card-3/", "--trap", TRAP["id"], "--wait",
            "--poll-s", "0.3", "--json"]
    assert main(args) == 0
    job = json.loads(capsys.readouterr().out)
    assert (job["status"], job["done"], job["total"]) == ("done", 6, 6)
    assert main(["jobs", "show", job["id"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == job["id"]
    # A finished job cannot be cancelled: exit 1 and the gateway's code.
    assert main(["jobs", "cancel", job["id"], "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "job_finished"
    assert main(["jobs", "submit", "--container", "uploads", "--trap", TRAP["id"], "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "job_source_not_allowed"
    monkeypatch.delenv("AILURUS_TOKEN")
    assert main(["jobs", "show", job["id"], "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "missing_token"
