"""Batch jobs: ingest keeps their state; workers report each shard's counts here."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from ailurus_common.contracts.jobs import JOB_ID_PATTERN, Job, JobCreate, JobList, ShardReport
from ailurus_common.errors import ErrorCode
from ailurus_common.records import utc_now
from ailurus_common.storage.errors import NotFound
from ingest.api.deps import StoreDep

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

JobId = Annotated[str, Path(pattern=JOB_ID_PATTERN)]


def _found(job: Job | None, job_id: str) -> Job:
    if job is None:
        raise NotFound(f"job {job_id!r} not found", code=ErrorCode.JOB_NOT_FOUND)
    return job


@router.post("", response_model=Job, status_code=201)
async def create_job(body: JobCreate, store: StoreDep) -> Job:
    """Record a new job, queued, with the id the caller chose (409 when it is taken) or a fresh one."""
    job = Job(id=body.id or uuid.uuid4().hex, source=body.source, trap_id=body.trap_id, total=body.total,
              created_at=utc_now(), submitted_by=body.submitted_by)
    await store.create_job(job)
    return job


@router.get("", response_model=JobList)
async def list_jobs(store: StoreDep, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> JobList:
    """The newest jobs, newest first."""
    return JobList(items=await store.list_jobs(limit=limit))


@router.get("/{job_id}", response_model=Job)
async def get_job(job_id: JobId, store: StoreDep) -> Job:
    return _found(await store.get_job(job_id), job_id)


@router.post("/{job_id}/cancel", response_model=Job)
async def cancel_job(job_id: JobId, store: StoreDep) -> Job:
    """Cancel a job not finished yet (409 ``job_finished`` otherwise); workers stop at
    their next item."""
    return _found(await store.cancel_job(job_id), job_id)


@router.post("/{job_id}/shards", response_model=Job)
async def report_shard(job_id: JobId, body: ShardReport, store: StoreDep) -> Job:
    """A worker finished one shard: its counts are added once per shard id."""
    return _found(await store.report_shard(job_id, body), job_id)
