"""The gateway's job view: throughput and ETA from the counts; shards of a listing."""

from datetime import UTC, datetime, timedelta

from ailurus_common.contracts.jobs import Job, JobStatus
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


def test_job_view_names_each_source_kind_by_its_schema():
    from gateway.schemas import BlobJobSource, DatasetJobSource, ReclassifyJobSource

    reclassify = job_view(make(source={"reclassify": {"model": "ailurus_alt:1", "trap_id": None}}, trap_id=None))
    dataset = job_view(make(source={"dataset": "stations-0123456789ab"}))
    assert isinstance(job_view(make()).source, BlobJobSource)
    assert isinstance(reclassify.source, ReclassifyJobSource) and reclassify.source.reclassify.model == "ailurus_alt:1"
    assert isinstance(dataset.source, DatasetJobSource)
