"""Batch-job shards from the jobs queue: each blob of a ``JobShard`` (blobs under a prefix,
a dataset's images) becomes a media as an upload's file does (its original stored in
``uploads/``, classified, then recorded in the job's trap with its answer: one ingest write);
each media of a ``ReclassifyShard`` goes through the live model again
(``worker.reclassify``). A shard is reported to ingest once with its counts. The jobs queue is
separate from the pending-media queue, so a season of SD cards never holds up the files an
upload left pending."""

import asyncio
import contextlib
import hashlib
import logging
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from pydantic import ValidationError

from ailurus_common.clients.preprocess import Rejected, Unavailable
from ailurus_common.contracts.ingest import Classification, MediaBatch, NewMedia
from ailurus_common.contracts.jobs import Job, ShardReport
from ailurus_common.contracts.work import JOB_WORK, JobShard, ReclassifyShard
from ailurus_common.domain import MediaStatus
from ailurus_common.errors import AilurusError, ErrorCode
from ailurus_common.queue.base import QueueMessage, WorkQueue
from ailurus_common.records import ErrorInfo, Media, utc_now
from ailurus_common.sniff import sniff_image_type
from ailurus_common.storage.blob import UPLOADS, original_blob_name
from ailurus_common.storage.errors import NotFound
from ailurus_common.telemetry import span_attributes, tracer
from worker.errors import JobNotRecorded, ShardOutage
from worker.media import MediaWork, Outcome
from worker.metrics import JOB_ITEMS, SHARD_REDELIVERIES, SHARDS
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

    async def run(self, shard: JobShard | ReclassifyShard) -> ShardReport:
        """The shard's counts. Raises ``JobNotRecorded`` when ingest has no such job, and
        ``ShardOutage`` (or any ``AilurusError`` of ingest) when it must come back later."""
        ingest = self.work.ingest
        try:
            job = await ingest.get_job(shard.job_id)
        except AilurusError as exc:
            if exc.code is ErrorCode.JOB_NOT_FOUND:
                raise JobNotRecorded(f"job {shard.job_id} is not recorded", code=exc.code) from None
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
        not an image, refused by preprocess). A new image costs one ingest write, as an
        upload's file does: it is classified first and recorded with its answer."""
        blobs = self.work.blobs
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
            if not await blobs.put(UPLOADS, blob_name, data, content_type=media_type):  # held already
                held = await self.work.ingest.find_media(media_id)
                if held is not None:
                    return await self._held(held)
            item = NewMedia(id=media_id, file_name=file_name, media_type=media_type,
                            size_bytes=len(data), blob_original=f"{UPLOADS}/{blob_name}", uploaded_by=job.submitted_by)
            async with self.work.gate.shared():
                outcome = await self.work.preprocess.classify(data, media_id=media_id)
            span.set_attributes(span_attributes(outcome=type(outcome).__name__))
            if isinstance(outcome, Rejected):  # refused: nothing of it is kept, as for an upload's file
                await self._forget(blob_name)
                return "failed"
            if isinstance(outcome, Unavailable):  # kept pending (the sweep finishes it even if the job ends)
                item.error = ErrorInfo(code=ErrorCode.CLASSIFY_INTERRUPTED if outcome.interrupted
                                       else ErrorCode.CLASSIFIER_UNAVAILABLE, message=outcome.message)
                await self._record(shard, item)
                raise ShardOutage(f"media {media_id} left pending ({outcome.message})")
            item.classification = Classification(exif=outcome.exif, prediction=outcome.prediction,
                                                 blob_thumbnail=outcome.blob_thumbnail)
            if await self._record(shard, item):
                return "done"
            held = await self.work.ingest.find_media(media_id)  # recorded meanwhile by someone else
            return "done" if held is None else await self._held(held)

    async def _record(self, shard: JobShard, item: NewMedia) -> bool:
        """Record one media in the job's trap; False when it was held already."""
        result = await self.work.ingest.record_media(shard.trap_id, MediaBatch(items=[item]))
        return result.items[0].status == "recorded"

    async def _held(self, media: Media) -> str:
        """A media held before this job: done unless it failed; a pending one is finished now."""
        if media.status is MediaStatus.PENDING:
            result = await self.work.finish(media.id)
            if result.outcome in _DONE:
                return "done"
            if result.outcome in _FAILED:
                return "failed"
            if result.outcome is Outcome.PENDING:
                raise ShardOutage(f"media {media.id} left pending (classifier unavailable)")
            media = result.media or media
        return "failed" if media.status is MediaStatus.FAILED else "done"

    async def _forget(self, blob_name: str) -> None:
        try:
            await self.work.blobs.delete(UPLOADS, blob_name)
        except AilurusError as exc:  # an unreferenced original costs space, never correctness
            log.warning("refused original %s not deleted: %s", blob_name, exc.message)


@dataclass
class _Delivery:
    """A shard's delivery, with the receipt of its last extension."""

    message: QueueMessage


def _file_name(blob_name: str) -> str:
    """A blob's media file name: the last part of its name."""
    return blob_name.rsplit("/", 1)[-1][-255:]


class ShardConsumer:
    """The jobs queue's loop: one shard at a time per slot, deleted once reported; a shard
    whose worker died on it every time is dead-lettered and reported as failed."""

    def __init__(self, queue: WorkQueue, shards: ShardWork, *, visibility_timeout_s: int, poll_interval_s: float,
                 retry_delay_s: int, orphan_after_s: float = 600.0) -> None:
        self.queue, self.shards = queue, shards
        self.visibility_timeout_s = visibility_timeout_s
        self.poll_interval_s = poll_interval_s
        self.retry_delay_s = retry_delay_s
        self.orphan_after_s = orphan_after_s

    async def handle(self, message: QueueMessage) -> str:
        try:
            shard = JOB_WORK.validate_json(message.body)
        except ValidationError:
            log.error("jobs message %s is no job shard: dropped", message.id)
            await self.queue.delete(message)
            return "invalid"
        if message.dequeue_count > 1:
            SHARD_REDELIVERIES.inc()
        async with self._kept_hidden(message) as delivery:
            try:
                report = await self.shards.run(shard)
                await self.shards.work.ingest.report_shard(shard.job_id, report)
            except JobNotRecorded:
                return await self._unrecorded(shard, delivery.message)
            except AilurusError as exc:  # an outage: the whole shard again later (counted once by its id)
                log.info("shard %s waits: %s", shard.shard_id, exc.message)
                await self._again(delivery.message, delay_s=self.retry_delay_s)
                return "retry"
        await self.queue.delete(delivery.message)
        return "reported"

    async def _unrecorded(self, shard: JobShard | ReclassifyShard, message: QueueMessage) -> str:
        """A shard whose job ingest does not hold: back soon while its submission may still
        be recording the job, dropped once that is long past (or it has no send time)."""
        age_s = (utc_now() - shard.submitted_at).total_seconds() if shard.submitted_at else math.inf
        if age_s > self.orphan_after_s:
            log.warning("shard %s dropped: its job %s was never recorded", shard.shard_id, shard.job_id)
            await self.queue.delete(message)
            return "no_job"
        # A fresh message (its dequeue count starts again, so waiting never dead-letters it),
        # sooner while the submission is young.
        await self._again(message, delay_s=int(min(max(age_s / 4, 1), 30)))
        return "unrecorded"

    async def _again(self, message: QueueMessage, *, delay_s: int) -> None:
        await self.queue.send(message.body, delay_s=delay_s)
        await self.queue.delete(message)

    @contextlib.asynccontextmanager
    async def _kept_hidden(self, message: QueueMessage) -> AsyncIterator["_Delivery"]:
        """While a shard runs, its message is hidden again every third of the visibility
        timeout: a long shard is never handed to a second worker, and a dead worker's
        shard comes back within one timeout (not a whole shard's time)."""
        delivery = _Delivery(message)

        async def keep() -> None:
            while True:
                await asyncio.sleep(self.visibility_timeout_s / 3)
                try:
                    renewed = await self.queue.extend(delivery.message, visibility_timeout_s=self.visibility_timeout_s)
                except AilurusError as exc:  # the queue is down: try again next round
                    log.info("shard message %s not extended: %s", message.id, exc.message)
                    continue
                if renewed is None:  # handed out again meanwhile: it is someone else's now
                    log.warning("shard message %s was delivered again while it ran", message.id)
                    return
                delivery.message = renewed

        task = asyncio.create_task(keep())
        try:
            yield delivery
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

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
