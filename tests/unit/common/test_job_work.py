"""What the jobs queue carries: blob shards (with file names for a dataset's hash-named
blobs) and re-classification shards, told apart by ``kind`` and validated before any work."""

import pytest
from pydantic import ValidationError

from ailurus_common.contracts.work import JOB_WORK, JobShard, ReclassifyShard

JOB = "a" * 32
MEDIA = "b" * 64


def test_job_work_parses_each_kind_by_its_kind():
    blob = JobShard(job_id=JOB, shard_id=f"{JOB}:0", trap_id="t", container="backlog", names=["x.jpg"])
    again = ReclassifyShard(job_id=JOB, shard_id=f"{JOB}:1", model="ailurus_alt:1", media_ids=[MEDIA])
    assert JOB_WORK.validate_json(blob.model_dump_json()) == blob
    assert JOB_WORK.validate_json(again.model_dump_json()) == again
    assert (blob.size, again.size) == (1, 1)


def test_job_shard_without_kind_is_refused():
    with pytest.raises(ValidationError):
        JOB_WORK.validate_json('{"job_id": "' + JOB + '", "shard_id": "s", "model": "m:1", "media_ids": []}')


@pytest.mark.parametrize("fields", [
    {"model": "ailurus_alt"},  # no version
    {"model": "Ailurus:1"},  # not a Triton name
    {"model": "ailurus_alt:latest"},
    {"media_ids": []},
    {"media_ids": ["not-a-hash"]},
    {"media_ids": [MEDIA] * 1001},
    {"job_id": "../x"},
])
def test_reclassify_shard_refuses_what_no_worker_can_run(fields):
    values = {"job_id": JOB, "shard_id": f"{JOB}:0", "model": "ailurus_alt:1", "media_ids": [MEDIA]} | fields
    with pytest.raises(ValidationError):
        ReclassifyShard(**values)


def test_job_shard_names_one_file_per_blob_or_none():
    values = {"job_id": JOB, "shard_id": f"{JOB}:0", "trap_id": "t", "container": "datasets",
              "names": ["images/" + MEDIA, "images/" + "c" * 64]}
    assert JobShard(**values, file_names=["a.jpg", "b.jpg"]).file_names == ["a.jpg", "b.jpg"]
    assert JobShard(**values).file_names is None
    with pytest.raises(ValidationError, match="file_names"):
        JobShard(**values, file_names=["a.jpg"])
    with pytest.raises(ValidationError):
        JobShard(**values, file_names=["a.jpg", ""])
