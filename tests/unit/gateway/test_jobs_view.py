"""The gateway's job view: throughput and ETA from the counts; shards of a listing."""

import json
from datetime import UTC, datetime, timedelta

from ailurus_common.contracts.jobs import Job, JobStatus
from ailurus_common.contracts.work import JobShard
from ailurus_common.queue.base import check_body
from gateway.jobs import job_view, shards

START = datetime(2026, 1, 1, tzinfo=UTC)


def make(**fields) -> Job:
    values = {"id": "a" * 32, "source": {"container": "imports", "prefix": ""}, "trap_id": "trap-1", "total": 30,
              "created_at": START, "submitted_by": "ana"} | fields
    return Job.model_validate(values)


def test_a_running_job_reports_its_rate_and_time_left():
    view = job_view(make(status=JobStatus.RUNNING, done=8, failed=2, started_at=START),
                    now=START + timedelta(seconds=5))
    assert (view.pending, view.throughput_images_s, view.eta_s) == (20, 2.0, 10.0)


def test_a_queued_job_has_no_rate_and_a_finished_one_no_time_left():
    assert job_view(make(), now=START).throughput_images_s is None
    done = job_view(make(status=JobStatus.DONE, done=30, started_at=START, finished_at=START + timedelta(seconds=10)))
    assert (done.throughput_images_s, done.eta_s, done.pending) == (3.0, 0.0, 0)


def test_shards_split_a_listing_in_order():
    assert shards([str(i) for i in range(5)], 2) == [["0", "1"], ["2", "3"], ["4"]]


def test_long_names_make_smaller_shards_that_fit_a_queue_message():
    """Blob names may be 1,024 characters: 200 of them would be 200 KiB, over Azure's 64 KiB."""
    names = [f"card-{i:04d}/" + "x" * 1000 + ".jpg" for i in range(200)]
    runs = shards(names, 200)
    assert [n for run in runs for n in run] == names and len(runs) > 4
    for index, run in enumerate(runs):
        body = JobShard(job_id="a" * 32, shard_id=f"{'a' * 32}:{index}", trap_id="t" * 64, container="c" * 63,
                        names=run).model_dump_json()
        check_body(body)  # raises over MAX_MESSAGE_BYTES


def test_names_that_json_escapes_count_as_escaped():
    runs = shards(['"\\' * 300] * 100, 1000, max_bytes=10_000)
    assert all(len(json.dumps(run)) <= 10_000 for run in runs) and sum(map(len, runs)) == 100


def test_job_view_names_each_source_kind_by_its_schema():
    from gateway.schemas import BlobJobSource, DatasetJobSource, ReclassifyJobSource

    reclassify = job_view(make(source={"reclassify": {"model": "ailurus_alt:1", "trap_id": None}}, trap_id=None))
    dataset = job_view(make(source={"dataset": "stations-0123456789ab"}))
    assert isinstance(job_view(make()).source, BlobJobSource)
    assert isinstance(reclassify.source, ReclassifyJobSource) and reclassify.source.reclassify.model == "ailurus_alt:1"
    assert isinstance(dataset.source, DatasetJobSource)
