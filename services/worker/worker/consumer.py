"""The worker's loops over the pending-media queue: take messages with bounded
concurrency, retry an outage with back-off (a fresh message), fail what was dead-lettered,
and sweep for pending media that never got a message."""

import asyncio
import logging

from pydantic import ValidationError

from ailurus_common.clients.ingest import IngestClient
from ailurus_common.contracts.work import PendingMedia
from ailurus_common.errors import AilurusError
from ailurus_common.queue.base import MAX_RECEIVE, QueueMessage, WorkQueue
from ailurus_common.storage.blob import BlobStore
from ailurus_common.telemetry import span_attributes, tracer
from worker.config import WorkerSettings
from worker.media import MediaWork, Outcome, Result
from worker.metrics import DEAD_LETTERED, IN_FLIGHT, PENDING_BACKLOG, WORKER_RESULTS

log = logging.getLogger(__name__)
_tracer = tracer(__name__)
# Kept in flight: deleting the delivery is what says "done".
_KEEP = {Outcome.LEASED}


def retry_delay_s(attempts: int, *, base_s: int, max_s: int) -> int:
    """Back-off before the next try of a media that met an outage ``attempts`` times."""
    return int(min(base_s * 2 ** max(attempts - 1, 0), max_s))


class Consumer:
    def __init__(self, queue: WorkQueue, work: MediaWork, blobs: BlobStore, settings: WorkerSettings) -> None:
        self.queue, self.work, self.blobs, self.settings = queue, work, blobs, settings
        self._limiter = asyncio.Semaphore(settings.concurrency)
        self.visibility_timeout_s = max(1, int(work.lease_s))
        self._tasks: set[asyncio.Task] = set()

    @property
    def ingest(self) -> IngestClient:
        return self.work.ingest

    async def handle(self, message: QueueMessage) -> str:
        """Work one delivery; returns what happened (the metric's label)."""
        try:
            body = PendingMedia.model_validate_json(message.body)
        except ValidationError:
            log.error("message %s is no known kind of work: dropped", message.id)
            await self.queue.delete(message)
            return "invalid"
        with _tracer.start_as_current_span("worker.media", attributes=span_attributes(
                media_id=body.media_id, attempt=message.dequeue_count)) as span:
            try:
                # A redelivery means the last worker on it never answered: it may be what killed it.
                result = await self.work.finish(body.media_id, suspect=message.dequeue_count > 1)
            except AilurusError as exc:  # ingest or the blob store down: a fresh message, later
                log.info("media %s waits: %s", body.media_id, exc.message)
                await self._again(message, body, self.settings.retry_base_delay_s)
                span.set_attributes(span_attributes(outcome="error", error_code=exc.code))
                return "error"
            span.set_attributes(span_attributes(outcome=result.outcome.value))
        if result.outcome is Outcome.PENDING:
            await self._again(message, body, self._delay(result))
        elif result.outcome not in _KEEP:
            await self.queue.delete(message)
        return result.outcome.value

    def _delay(self, result: Result) -> int:
        attempts = (result.media.attempts if result.media else 0) + 1  # this one counted too
        return retry_delay_s(attempts, base_s=self.settings.retry_base_delay_s, max_s=self.settings.retry_max_delay_s)

    async def _again(self, message: QueueMessage, body: PendingMedia, delay_s: int) -> None:
        """Send it again with a delay, then drop this delivery (an outage never counts as
        a delivery that failed). If the send fails, the delivery stays and comes back."""
        try:
            await self.queue.send(body.model_dump_json(), delay_s=delay_s)
        except AilurusError as exc:
            log.warning("retry of %s not queued (the delivery comes back): %s", body.media_id, exc.message)
            return
        await self.queue.delete(message)

    async def _handle_counted(self, message: QueueMessage) -> None:
        IN_FLIGHT.inc()
        try:
            outcome = await self.handle(message)
        except Exception:  # noqa: BLE001 - never crash the worker; the delivery comes back
            log.exception("message %s failed", message.id)
            outcome = "crashed"
        finally:
            IN_FLIGHT.dec()
            self._limiter.release()
        WORKER_RESULTS.labels(outcome).inc()

    async def run_once(self) -> int:
        """Take what free slots allow and start working on it; how many messages were taken."""
        await self._limiter.acquire()
        free = 1
        while free < min(self.settings.concurrency, MAX_RECEIVE) and not self._limiter.locked():
            await self._limiter.acquire()
            free += 1
        try:
            batch = await self.queue.receive(free, visibility_timeout_s=self.visibility_timeout_s)
        except BaseException:
            for _ in range(free):
                self._limiter.release()
            raise
        for _ in range(free - len(batch)):
            self._limiter.release()
        for message in batch:
            task = asyncio.create_task(self._handle_counted(message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(batch)

    async def run_forever(self) -> None:
        try:
            while True:
                try:
                    taken = await self.run_once()
                except AilurusError as exc:  # the queue is down: try again
                    log.info("queue unavailable: %s", exc.message)
                    taken = 0
                if not taken:
                    await asyncio.sleep(self.settings.poll_interval_s)
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def drain(self) -> None:
        """Wait for the messages in flight (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def read_dead_letters(self) -> int:
        """Fail the media of every dead-lettered message; how many messages were read."""
        dead = self.queue.dead_letter
        read = 0
        while batch := await dead.receive(MAX_RECEIVE, visibility_timeout_s=self.visibility_timeout_s):
            for message in batch:
                try:
                    body = PendingMedia.model_validate_json(message.body)
                except ValidationError:
                    await dead.delete(message)
                    continue
                await self.work.fail_dead_letter(body.media_id, self.settings.queue_max_attempts)
                await dead.delete(message)
                DEAD_LETTERED.inc()
                read += 1
        return read

    async def sweep(self) -> int:
        """Send a message for every pending media untouched for ``sweep_age_s``; how many."""
        page = await self.ingest.pending(older_than_s=self.settings.sweep_age_s, limit=self.settings.sweep_batch)
        for media in page.items:
            await self.queue.send(PendingMedia(media_id=media.id).model_dump_json())
        return len(page.items)

    async def every(self, interval_s: float, job, name: str) -> None:
        """Run ``job`` now and then every ``interval_s``, outliving any single failure."""
        while True:
            try:
                await job()
            except AilurusError as exc:
                log.info("%s skipped: %s", name, exc.message)
            except Exception:  # noqa: BLE001 - the loop must outlive any single failure
                log.exception("%s failed", name)
            await asyncio.sleep(interval_s)

    async def observe_backlog(self) -> None:
        PENDING_BACKLOG.set(await self.queue.approximate_length())
