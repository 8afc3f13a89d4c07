"""Batch jobs at the edge: validate the source, count its items, record the job in ingest
and put its shards on the jobs queue (not the pending-media queue: a big job never delays
interactive uploads)."""

import json
from datetime import datetime

from ailurus_common.clients.ingest import IngestClient
from ailurus_common.contracts.jobs import Job, JobCreate
from ailurus_common.contracts.work import JobShard
from ailurus_common.errors import AilurusError, ErrorCode
from ailurus_common.queue.base import MAX_MESSAGE_BYTES, WorkQueue
from ailurus_common.records import utc_now
from ailurus_common.storage.blob import BlobStore
from gateway.schemas import BlobJobSource, JobOut, JobSubmit


def _refuse(code: ErrorCode, message: str) -> AilurusError:
    return AilurusError(message, code=code, status_code=422)


# A shard's message without its names, with room for the longest ids: its names get the rest
# of a queue message (Azure Storage Queues take 64 KiB; blob names may be 1,024 characters).
_SHARD_ENVELOPE_BYTES = 512


def shards(names: list[str], size: int, *, max_bytes: int = MAX_MESSAGE_BYTES) -> list[list[str]]:
    """``names`` in consecutive runs of at most ``size`` names whose shard message stays
    within ``max_bytes`` (long names make smaller shards)."""
    budget = max_bytes - _SHARD_ENVELOPE_BYTES
    runs: list[list[str]] = []
    run: list[str] = []
    used = 0
    for name in names:
        cost = len(json.dumps(name).encode()) + 1  # as JSON encodes it, with its comma
        if run and (len(run) == size or used + cost > budget):
            runs.append(run)
            run, used = [], 0
        run.append(name)
        used += cost
    if run:
        runs.append(run)
    return runs


async def submit_job(body: JobSubmit, *, submitted_by: str, ingest: IngestClient, blobs: BlobStore,
                     queue: WorkQueue, allowed_containers: list[str], shard_items: int, max_items: int) -> Job:
    """Record the job and enqueue its shards; 422 with a stable code for a source refused."""
    source = body.source
    if not isinstance(source, BlobJobSource):
        raise _refuse(ErrorCode.JOB_SOURCE_UNSUPPORTED, "only blob sources ({container, prefix}) are implemented")
    if source.container not in allowed_containers:
        raise _refuse(ErrorCode.JOB_SOURCE_NOT_ALLOWED, f"container {source.container!r} is not open to jobs")
    if body.trap_id is None:
        raise _refuse(ErrorCode.INVALID_REQUEST, "trap_id is required with a blob source")
    await ingest.get_trap(body.trap_id)  # 404 trap_not_found before anything is recorded
    names = await blobs.list_names(source.container, source.prefix)
    if not names:
        raise _refuse(ErrorCode.JOB_EMPTY, f"no blobs under {source.container}/{source.prefix}")
    if len(names) > max_items:
        raise _refuse(ErrorCode.JOB_TOO_LARGE, f"{len(names)} blobs, more than the {max_items} a job may hold")
    job = await ingest.create_job(JobCreate(source=source.model_dump(), trap_id=body.trap_id, total=len(names),
                                            submitted_by=submitted_by))
    for index, run in enumerate(shards(names, shard_items)):
        shard = JobShard(job_id=job.id, shard_id=f"{job.id}:{index}", trap_id=body.trap_id,
                         container=source.container, names=run)
        await queue.send(shard.model_dump_json())
    return job


def job_view(job: Job, *, now: datetime | None = None) -> JobOut:
    """The public view of a job, with its rate and the time left at that rate."""
    finished = job.done + job.failed
    end = job.finished_at or now or utc_now()
    # Since it was submitted: the first shard report (started_at) comes only after a shard is
    # finished, so a rate from it would leave out that shard's time.
    elapsed_s = (end - job.created_at).total_seconds() if job.started_at else 0.0
    throughput = finished / elapsed_s if elapsed_s > 0 and finished else None
    eta = job.pending / throughput if throughput and not job.finished else (0.0 if job.finished else None)
    return JobOut(id=job.id, source=job.source, trap_id=job.trap_id, status=job.status, done=job.done,
                  failed=job.failed, pending=job.pending, total=job.total, created_at=job.created_at,
                  started_at=job.started_at, finished_at=job.finished_at,
                  throughput_images_s=throughput, eta_s=eta)
