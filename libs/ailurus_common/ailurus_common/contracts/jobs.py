"""Batch jobs (issue 12 item 2): the job record ingest keeps and its API carries.

A job is a batch of images (blobs under a prefix, or media to re-run) split into shards on
the jobs queue. Counts move only through shard reports, each counted once by shard id, so
a shard delivered twice (at-least-once queues) never counts twice."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

JOB_ID_PATTERN = r"^[0-9a-f]{32}$"
SHARD_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,128}$"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED_STATUSES = frozenset({JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED})


class Job(BaseModel):
    """One batch job as ingest stores it (no positions: a job names a trap, not a place)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=JOB_ID_PATTERN)
    source: dict[str, object]
    trap_id: str | None = None
    status: JobStatus = JobStatus.QUEUED
    done: int = Field(default=0, ge=0)
    failed: int = Field(default=0, ge=0)
    total: int = Field(ge=0)
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    submitted_by: str

    @property
    def pending(self) -> int:
        """Items neither done nor failed yet."""
        return max(self.total - self.done - self.failed, 0)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES


class ShardReport(BaseModel):
    """What a worker reports when it has finished one shard."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    shard_id: str = Field(pattern=SHARD_ID_PATTERN)
    done: int = Field(ge=0)
    failed: int = Field(ge=0)


def apply_shard(job: Job, report: ShardReport, *, now: datetime) -> Job:
    """The job after ``report`` (the caller has checked the shard was not counted before).

    A cancelled job keeps its status (its last shards still count); a job whose every item
    is accounted for is finished: done, or failed when no item succeeded."""
    done = job.done + report.done
    failed = job.failed + report.failed
    status = job.status
    started_at = job.started_at or now
    finished_at = job.finished_at
    if status in (JobStatus.QUEUED, JobStatus.RUNNING):
        status = JobStatus.RUNNING
        if done + failed >= job.total:
            status = JobStatus.DONE if done > 0 or job.total == 0 else JobStatus.FAILED
            finished_at = now
    return job.model_copy(update={"done": done, "failed": failed, "status": status,
                                  "started_at": started_at, "finished_at": finished_at})


def cancelled(job: Job, *, now: datetime) -> Job:
    """The job cancelled now (the caller has checked it is not finished)."""
    return job.model_copy(update={"status": JobStatus.CANCELLED, "finished_at": now})


class JobCreate(BaseModel):
    """A job to record (the gateway has validated the source and counted its items)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Chosen by the gateway before it enqueues the shards that name it (None: ingest picks one).
    id: str | None = Field(default=None, pattern=JOB_ID_PATTERN)
    source: dict[str, object]
    trap_id: str | None = None
    total: int = Field(ge=0)
    submitted_by: str = Field(min_length=1, max_length=256)


class JobList(BaseModel):
    items: list[Job]
