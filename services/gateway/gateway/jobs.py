"""Batch jobs at the edge: validate the source, list its items, record the job in ingest
and put its shards on the jobs queue (not the pending-media queue: a big job never delays
interactive uploads).

Three sources: blobs under a container/prefix and the images of a dataset snapshot (the ML
service lists them) become media of a trap; ``reclassify`` runs the archive's classified
media through the live model again, leaving out those that model has labelled already."""
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from ailurus_common.clients.ingest import IngestClient
from ailurus_common.clients.ml import MlClient
from ailurus_common.contracts.jobs import Job, JobCreate
from ailurus_common.contracts.work import JobShard, ReclassifyShard
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.errors import AilurusError, ErrorCode
from ailurus_common.queue.base import MAX_MESSAGE_BYTES, WorkQueue
from ailurus_common.records import utc_now
from ailurus_common.storage.blob import DATASETS, BlobStore
from gateway.schemas import BlobJobSource, DatasetJobSource, JobOut, JobSubmit, ReclassifyJobSource

# ingest's default largest media page (INGEST_MAX_PAGE_SIZE): the archive is read in pages this big.
MEDIA_PAGE_SIZE = 200


@dataclass(frozen=True)
class JobLimits:
    """What the gateway's settings allow a job."""

    allowed_containers: list[str]
    shard_items: int
    max_items: int


@dataclass(frozen=True)
class JobParts:
    """The services a submission reads from and writes to."""

    ingest: IngestClient
    blobs: BlobStore
    ml: MlClient
    queue: WorkQueue


def _refuse(code: ErrorCode, message: str) -> AilurusError:
    return AilurusError(message, code=code, status_code=422)


# A shard's message without its names, with room for the longest ids: its names get the rest
# of a queue message (Azure Storage Queues take 64 KiB; blob names may be 1,024 characters).
_SHARD_ENVELOPE_BYTES = 512


def _cost(name: str) -> int:
    return len(json.dumps(name).encode()) + 1  # as JSON encodes it, with its comma


def shard_slices(costs: list[int], size: int, *, max_bytes: int = MAX_MESSAGE_BYTES) -> list[slice]:
    """Consecutive runs of at most ``size`` items whose encoded ``costs`` (bytes each) keep a
    shard message within ``max_bytes``: long names make smaller shards."""
    budget = max_bytes - _SHARD_ENVELOPE_BYTES
    runs: list[slice] = []
    start, used = 0, 0
    for index, cost in enumerate(costs):
        if index > start and (index - start == size or used + cost > budget):
            runs.append(slice(start, index))
            start, used = index, 0
        used += cost
    if start < len(costs):
        runs.append(slice(start, len(costs)))
    return runs


def shards(names: list[str], size: int, *, max_bytes: int = MAX_MESSAGE_BYTES) -> list[list[str]]:
    """``names`` in consecutive runs of at most ``size`` names whose shard message stays
    within ``max_bytes``."""
    return [names[run] for run in shard_slices([_cost(n) for n in names], size, max_bytes=max_bytes)]


def _bounded(count: int, limits: JobLimits, what: str) -> None:
    if count > limits.max_items:
        raise _refuse(ErrorCode.JOB_TOO_LARGE, f"{count} {what}, more than the {limits.max_items} a job may hold")


async def submit_job(body: JobSubmit, *, submitted_by: str, parts: JobParts, limits: JobLimits,
                     hidden_groups: list[Group]) -> Job:
    """Enqueue the job's shards, then record it (a gateway that dies in between leaves shards
    of no job, which the worker drops, never a job that waits for shards that never come);
    4xx with a stable code for a source refused.
    ``hidden_groups``: media the caller may not know of (a coarse caller's sensitive groups),
    left out of a re-classification as if they did not exist."""
    source = body.source
    if isinstance(source, ReclassifyJobSource):
        return await _submit_reclassify(source, body.trap_id, submitted_by=submitted_by, parts=parts, limits=limits,
                                        hidden_groups=hidden_groups)
    if body.trap_id is None:
        raise _refuse(ErrorCode.INVALID_REQUEST, "trap_id is required with a blob or dataset source")
    if isinstance(source, BlobJobSource) and source.container not in limits.allowed_containers:
        raise _refuse(ErrorCode.JOB_SOURCE_NOT_ALLOWED, f"container {source.container!r} is not open to jobs")
    await parts.ingest.get_trap(body.trap_id)  # 404 trap_not_found before anything is recorded
    if isinstance(source, DatasetJobSource):
        # 404 dataset_not_found from the ML service, which owns the snapshots.
        images = (await parts.ml.dataset_images(source.dataset)).items
        container, names = DATASETS, [i.blob for i in images]
        file_names: list[str] | None = [i.file_name for i in images]
        if not names:
            raise _refuse(ErrorCode.JOB_EMPTY, f"dataset {source.dataset} holds no images")
    else:
        container, names, file_names = source.container, await parts.blobs.list_names(source.container,
                                                                                      source.prefix), None
        if not names:
            raise _refuse(ErrorCode.JOB_EMPTY, f"no blobs under {source.container}/{source.prefix}")
    _bounded(len(names), limits, "images")
    job_id, now = uuid.uuid4().hex, utc_now()
    costs = [_cost(n) + (_cost(f) if file_names else 0) for n, f in zip(names, file_names or names, strict=True)]
    for index, run in enumerate(shard_slices(costs, limits.shard_items)):
        shard = JobShard(job_id=job_id, shard_id=f"{job_id}:{index}", trap_id=body.trap_id, container=container,
                         names=names[run], file_names=file_names[run] if file_names else None, submitted_at=now)
        await parts.queue.send(shard.model_dump_json())
    return await parts.ingest.create_job(JobCreate(id=job_id, source=source.model_dump(), trap_id=body.trap_id,
                                                   total=len(names), submitted_by=submitted_by))


async def _submit_reclassify(source: ReclassifyJobSource, trap_id: str | None, *, submitted_by: str,
                             parts: JobParts, limits: JobLimits, hidden_groups: list[Group]) -> Job:
    target = source.reclassify
    if trap_id is not None and target.trap_id not in (None, trap_id):
        raise _refuse(ErrorCode.INVALID_REQUEST, "trap_id and reclassify.trap_id name different traps")
    trap_id = target.trap_id or trap_id
    name, version = target.model.split(":")
    live = (await parts.ml.serving()).live
    # A live model without a version serves the newest one Triton has loaded: its name is all
    # that can be checked here; the worker records only answers from exactly the job's model.
    if live.name != name or live.version not in (None, version):
        raise _refuse(ErrorCode.MODEL_NOT_LIVE, f"{target.model} is not live: {live} serves now")
    if trap_id is not None:
        await parts.ingest.get_trap(trap_id)  # 404 trap_not_found
    media_ids, seen, cursor = [], 0, None
    while True:
        page = await parts.ingest.list_media(trap_id=trap_id, status=MediaStatus.CLASSIFIED, limit=MEDIA_PAGE_SIZE,
                                             cursor=cursor, exclude_groups=hidden_groups)
        seen += len(page.items)
        media_ids += [m.id for m in page.items if not m.labelled_by(target.model)]
        _bounded(len(media_ids), limits, "media to re-classify")
        if not (cursor := page.next_cursor):
            break
    if not media_ids:
        scope = f"of trap {trap_id}" if trap_id else "of the archive"
        raise _refuse(ErrorCode.JOB_EMPTY, f"nothing left to re-classify: each of the {seen} classified media {scope} "
                                           f"has a machine observation by {target.model}")
    job_id, now = uuid.uuid4().hex, utc_now()
    for index, run in enumerate(shards(media_ids, limits.shard_items)):
        shard = ReclassifyShard(job_id=job_id, shard_id=f"{job_id}:{index}", model=target.model, media_ids=run,
                                submitted_at=now)
        await parts.queue.send(shard.model_dump_json())
    return await parts.ingest.create_job(JobCreate(id=job_id, source=source.model_dump(), trap_id=trap_id,
                                                   total=len(media_ids), submitted_by=submitted_by))


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
