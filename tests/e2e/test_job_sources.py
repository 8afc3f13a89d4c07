"""The dataset and reclassify job sources through the whole stack (its own Triton: a model
is promoted here): a snapshot's images become media of a trap with their source file names;
after a promote, re-classifying the archive adds a machine observation by the new version
beside the old one, a resubmit has nothing left to do, a model that is not live is refused,
and coarse callers cannot submit or see others' jobs."""

import asyncio
import hashlib
import time
from collections.abc import Iterator

import httpx
import pytest

from ailurus_common.records import utc_now
from ailurus_common.storage.factory import open_blob_store
from ailurus_ml.datasets.store import SnapshotStore, snapshot_id
from ailurus_ml.manifest import DatasetItem, DatasetManifest, SourceFormat
from ailurus_ml.serving import Serving
from ailurus_tools.processes import free_port
from ailurus_tools.stack import Stack
from tests.support.auth import auth_headers
from tests.support.models import ALT, BASE, alt_model
from tests.support.samples import sample
from tests.support.stacks import running_stack, stack_config
from tests.support.uploads import jpeg_variants

pytestmark = pytest.mark.slow
TRAP = {"id": "source-ridge", "name": "Source ridge", "latitude": 27.5, "longitude": 88.5}
IMAGES = 5


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    config = stack_config(tmp_path_factory.mktemp("sources"), backend="local",
                          triton_ports=(free_port(), free_port(), free_port()),
                          extra_env={"gateway": {"GATEWAY_JOB_SHARD_ITEMS": "2"},
                                     "preprocess": {"PREPROCESS_SERVING_POLL_S": "0.2"},
                                     "worker": {"WORKER_POLL_INTERVAL_S": "0.2", "WORKER_RECLASSIFY_RATE_PER_S": "50"}})
    with running_stack(config) as stack:
        assert httpx.post(f"{stack.gateway_url}/api/v1/traps", json=TRAP,
                          headers=auth_headers(stack, "admin")).status_code == 201
        yield stack


def wait_until_finished(api: httpx.Client, job_id: str, timeout_s: float = 240) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = api.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} not finished in {timeout_s} s: {job}")


def make_snapshot(stack: Stack) -> str:
    """A snapshot in the stack's datasets container, as ``ailurus datasets import`` writes one."""

    async def write() -> str:
        blobs = open_blob_store(backend="local", root=stack.config.data_dir / "data" / "blobs")
        store = SnapshotStore(blobs)
        items = []
        for name, data in jpeg_variants(sample("cameratrap/serengeti_burst_S1_D04_R6_PICT0020.JPG"), IMAGES,
                                        tag="snapshot"):
            digest = hashlib.sha256(data).hexdigest()
            await store.put_image(digest, data, media_type="image/jpeg")
            items.append(DatasetItem(sha256=digest, label="mammal", source_label="Zebra", source=f"card 7/{name}"))
        manifest = DatasetManifest(id=snapshot_id("field", items), name="field", created_at=utc_now(),
                                   source_format=SourceFormat.FOLDER, classes=["mammal"], items=items)
        await store.save(manifest)
        await blobs.close()
        return manifest.id

    return asyncio.run(write())


def test_dataset_job_makes_media_of_the_trap_named_like_the_source_files(stack: Stack):
    dataset_id = make_snapshot(stack)
    with httpx.Client(base_url=stack.gateway_url, headers=auth_headers(stack, "uploader"), timeout=60) as api:
        missing = api.post("/api/v1/jobs", json={"source": {"dataset": "nothing-0123456789ab"}, "trap_id": TRAP["id"]})
        assert (missing.status_code, missing.json()["error"]["code"]) == (404, "dataset_not_found")
        submitted = api.post("/api/v1/jobs", json={"source": {"dataset": dataset_id}, "trap_id": TRAP["id"]})
        assert submitted.status_code == 201, submitted.text
        assert submitted.json()["source"] == {"dataset": dataset_id}
        finished = wait_until_finished(api, submitted.json()["id"])
        assert (finished["status"], finished["done"], finished["failed"]) == ("done", IMAGES, 0)
        media = api.get("/api/v1/media", params={"trap_id": TRAP["id"], "limit": 200}).json()["items"]
    assert len(media) == IMAGES and {m["status"] for m in media} == {"classified"}
    # The source file's name (its folder dropped), not the hash the snapshot stores it under.
    assert {m["file_name"] for m in media} == {f"{i:03d}-serengeti_burst_S1_D04_R6_PICT0020.JPG" for i in range(IMAGES)}


def test_reclassify_after_a_promote_adds_the_new_version_and_keeps_the_old(stack: Stack, model_dir, tmp_path):
    async def promote():
        blobs = open_blob_store(backend="local", root=stack.config.data_dir / "data" / "blobs")
        serving = Serving(blobs, triton_grpc_url=stack.triton.grpc_url, base_model=BASE,
                          promoted_dir=stack.config.data_dir / "models", local_repository=stack.triton.repository,
                          drain_s=0.5, access_headers=stack.triton.access_headers(grpc=True))
        try:
            return str((await serving.promote(alt_model(model_dir, tmp_path))).new)
        finally:
            serving.close()
            await blobs.close()

    live = asyncio.run(promote())
    assert live == f"{ALT}:1"
    time.sleep(1.0)  # preprocess follows the pointer every 0.2 s
    with httpx.Client(base_url=stack.gateway_url, headers=auth_headers(stack, "uploader"), timeout=60) as api:
        refused = api.post("/api/v1/jobs", json={"source": {"reclassify": {"model": f"{BASE}:1"}}})
        assert (refused.status_code, refused.json()["error"]["code"]) == (422, "model_not_live")
        body = {"source": {"reclassify": {"model": live, "trap_id": TRAP["id"]}}}
        submitted = api.post("/api/v1/jobs", json=body)
        assert submitted.status_code == 201, submitted.text
        assert submitted.json()["total"] == IMAGES and submitted.json()["trap_id"] == TRAP["id"]
        finished = wait_until_finished(api, submitted.json()["id"])
        assert (finished["status"], finished["done"], finished["failed"]) == ("done", IMAGES, 0)
        again = api.post("/api/v1/jobs", json=body)  # nothing left: a clear answer, no second job
        assert (again.status_code, again.json()["error"]["code"]) == (422, "job_empty")
    for role in ("admin", "viewer"):
        with httpx.Client(base_url=stack.gateway_url, headers=auth_headers(stack, role), timeout=60) as api:
            for media in api.get("/api/v1/media", params={"trap_id": TRAP["id"], "limit": 200}).json()["items"]:
                machine = [o for o in api.get(f"/api/v1/media/{media['id']}").json()["observations"]
                           if o["method"] == "machine"]
                assert [o["model"]["name"] for o in machine] == [BASE, ALT], (role, machine)
                assert machine[1]["label"].startswith("alt ")


@pytest.mark.parametrize("app_only", [False, True], ids=["viewer", "partner-app"])
def test_coarse_callers_cannot_submit_sources_or_see_others_jobs(stack: Stack, app_only: bool):
    viewer = stack.token("viewer", subject="outsider", app_only=app_only)
    with httpx.Client(base_url=stack.gateway_url, headers={"Authorization": f"Bearer {viewer}"}, timeout=60) as api:
        for source in ({"reclassify": {"model": f"{ALT}:1"}}, {"dataset": "field-0123456789ab"}):
            assert api.post("/api/v1/jobs", json={"source": source, "trap_id": TRAP["id"]}).status_code == 403
        assert api.get("/api/v1/jobs").status_code == 403
    # A partner (or another person) with the uploader role sees none of the jobs above.
    other = stack.token("uploader", subject="outsider", app_only=app_only)
    with httpx.Client(base_url=stack.gateway_url, headers={"Authorization": f"Bearer {other}"}, timeout=60) as api:
        assert api.get("/api/v1/jobs").json()["items"] == []
