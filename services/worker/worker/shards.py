"""Batch-job shards from the jobs queue: each blob of a ``JobShard`` (blobs under a prefix,
a dataset's images) becomes a media as an upload's file does (its original stored in
``uploads/``, recorded pending in the job's trap, then finished by ``MediaWork`` like any
pending media); each media of a ``ReclassifyShard`` goes through the live model again
(``worker.reclassify``). A shard is reported to ingest once with its counts. The jobs queue is
separate from the pending-media queue, so a season of SD cards never holds up the files an
upload left pending."""

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass

from pydantic import ValidationError

from ailurus_common.contracts.ingest import MediaBatch, NewMedia
from ailurus_common.contracts.jobs import Job, ShardReport
from ailurus_common.contracts.work import JOB_WORK, JobShard, ReclassifyShard
from ailurus_common.domain import MediaStatus
from ailurus_common.errors import AilurusError, ErrorCode
from ailurus_common.queue.base import QueueMessage, WorkQueue
from ailurus_common.sniff import sniff_image_type
from ailurus_common.storage.blob import UPLOADS, original_blob_name
from ailurus_common.storage.errors import NotFound
from ailurus_common.telemetry import span_attributes, tracer
from worker.errors import ShardOutage
from worker.media import MediaWork, Outcome
from worker.metrics import JOB_ITEMS, SHARDS
from worker.reclassify import Reclassifier

log = logging.getLogger(__name__)
_tracer = tracer(__name__)
_DONE = {Outcome.CLASSIFIED, Outcome.LEASED}  # LEASED: another worker is finishing it right now
_FAILED = {Outcome.REJECTED, Outcome.FAILED, Outcome.POISON}


@dataclass
class ShardWork:
    """Runs shards: ``concurrency`` items of a shard at once; the job's status is read again
    every ``cancel_check_s`` so a cancelled job stops within that long."""

    work: MediaWork
    reclassifier: Reclassifier
    max_file_bytes: int
    concurrency: int = 2
    cancel_check_s: float = 2.0

    async def run(self, shard: JobShard | ReclassifyShard) -> ShardReport | None:
        """The shard's counts, or None when its job is gone. Raises ``ShardOutage`` (or any
        ``AilurusError`` of ingest) when it must come back later."""
        ingest = self.work.ingest
        try:
            job = await ingest.get_job(shard.job_id)
        except AilurusError as exc:
            if exc.code is ErrorCode.JOB_NOT_FOUND:
                return None
            raise
        counts = {"done": 0, "failed": 0}
        checked_s = time.monotonic()
        limiter = asyncio.Semaphore(self.concurrency)

        async def one(item: str, file_name: str) -> None:
            nonlocal job, checked_s
            async with limiter:
                if time.monotonic() - checked_s > self.cancel_check_s:
                    checked_s = time.monotonic()
                    job = await ingest.get_job(shard.job_id)
                if job.finished:  # cancelled: what is left is not worked on (nor counted)
                    return
                if isinstance(shard, ReclassifyShard):
                    outcome = await self.reclassifier.item(shard, item)
                else:
                    outcome = await self._item(shard, job, item, file_name)
                counts[outcome] += 1
                JOB_ITEMS.labels(outcome).inc()

        if isinstance(shard, ReclassifyShard):
            items = [(media_id, "") for media_id in shard.media_ids]
        else:
            items = list(zip(shard.names, shard.file_names or [_file_name(n) for n in shard.names], strict=True))
        await asyncio.gather(*(one(item, file_name) for item, file_name in items))
        return ShardReport(shard_id=shard.shard_id, **counts)

    async def _item(self, shard: JobShard, job: Job, name: str, file_name: str) -> str:
        """One blob: ``done`` (classified now, or already held) or ``failed`` (unreadable,
        not an image, refused by preprocess)."""
        blobs, ingest = self.work.blobs, self.work.ingest
        with _tracer.start_as_current_span("worker.job_item", attributes=span_attributes(
                trap_id=shard.trap_id)) as span:
            try:
                data = await blobs.get(shard.container, name)
            except NotFound:
                log.info("job %s: %s/%s is gone", job.id, shard.container, name)
                return "failed"
            media_type = sniff_image_type(data) if data else None
            if media_type is None or len(data) > self.max_file_bytes:
                return "failed"
            media_id = hashlib.sha256(data).hexdigest()
            span.set_attributes(span_attributes(media_id=media_id))
            blob_name = original_blob_name(media_id)
            await blobs.put(UPLOADS, blob_name, data, content_type=media_type)  # False: held already
            await ingest.record_media(shard.trap_id, MediaBatch(items=[NewMedia(
                id=media_id, file_name=file_name, media_type=media_type, size_bytes=len(data),
                blob_original=f"{UPLOADS}/{blob_name}", uploaded_by=job.submitted_by)]))
            result = await self.work.finish(media_id)
            span.set_attributes(span_attributes(outcome=result.outcome.value))
            if result.outcome in _DONE:
                return "done"
            if result.outcome in _FAILED:
                return "failed"
            if result.outcome is Outcome.SETTLED:  # held before: done unless it failed then
                failed = result.media is not None and result.media.status is MediaStatus.FAILED
                return "failed" if failed else "done"
            raise ShardOutage(f"media {media_id} left pending (classifier unavailable)")


def _file_name(blob_name: str) -> str:
    """A blob's media file name: the last part of its name."""
    return blob_name.rsplit("/", 1)[-1][-255:]


class ShardConsumer:
    """The jobs queue's loop: one shard at a time per slot, deleted once reported; a shard
    whose worker died on it every time is dead-lettered and reported as failed."""

    def __init__(self, queue: WorkQueue, shards: ShardWork, *, visibility_timeout_s: int, poll_interval_s: float,
                 retry_delay_s: int) -> None:
        self.queue, self.shards = queue, shards
        self.visibility_timeout_s = visibility_timeout_s
        self.poll_interval_s = poll_interval_s
        self.retry_delay_s = retry_delay_s

    async def handle(self, message: QueueMessage) -> str:
        try:
            shard = JOB_WORK.validate_json(message.body)
        except ValidationError:
            log.error("jobs message %s is no job shard: dropped", message.id)
            await self.queue.delete(message)
            return "invalid"
        try:
            report = await self.shards.run(shard)
            if report is not None:
                await self.shards.work.ingest.report_shard(shard.job_id, report)
        except AilurusError as exc:  # an outage: the whole shard again later (counted once by its id)
            log.info("shard %s waits: %s", shard.shard_id, exc.message)
            await self.queue.send(message.body, delay_s=self.retry_delay_s)
            await self.queue.delete(message)
            return "retry"
        await self.queue.delete(message)
        return "reported" if report is not None else "no_job"

    async def run_once(self) -> int:
        batch = await self.queue.receive(1, visibility_timeout_s=self.visibility_timeout_s)
        for message in batch:
            try:
                SHARDS.labels(await self.handle(message)).inc()
            except Exception:  # noqa: BLE001 - never crash the worker; the delivery comes back
                log.exception("shard message %s failed", message.id)
                SHARDS.labels("crashed").inc()
        return len(batch)

    async def run_forever(self) -> None:
        while True:
            try:
                taken = await self.run_once()
            except AilurusError as exc:
                log.info("jobs queue unavailable: %s", exc.message)
                taken = 0
            if not taken:
                await asyncio.sleep(self.poll_interval_s)

    async def read_dead_letters(self) -> int:
        """Report every dead-lettered shard with all its items failed; how many were read."""
        dead = self.queue.dead_letter
        read = 0
        while batch := await dead.receive(10, visibility_timeout_s=self.visibility_timeout_s):
            for message in batch:
                try:
                    shard = JOB_WORK.validate_json(message.body)
                    await self.shards.work.ingest.report_shard(
                        shard.job_id, ShardReport(shard_id=shard.shard_id, done=0, failed=shard.size))
                except ValidationError:
                    pass
                except AilurusError as exc:
                    if exc.code is not ErrorCode.JOB_NOT_FOUND:
                        raise
                await dead.delete(message)
                read += 1
        return read
