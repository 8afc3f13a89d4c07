"""Finish media left pending (preprocess, Triton or ingest was down) without a new
upload: poll ingest for pending media, back off per media on ``attempts``.

A file whose classify call died mid-request (``classify_interrupted``: preprocess crashed,
hung or failed on it) is retried alone, with nothing else in flight from this worker: if it
dies again, it is the cause, and it is failed for good (``poison_file``) instead of taking
the service down on every pass."""

import asyncio
import logging
import os
import socket
import uuid
from datetime import timedelta

from ailurus_common.clients.preprocess import Rejected, Unavailable
from ailurus_common.contracts.ingest import Classification, FailureIn, LeaseIn
from ailurus_common.errors import AilurusError, ErrorCode
from ailurus_common.records import ErrorInfo, Media, utc_now
from ailurus_common.storage.blob import original_location
from ailurus_common.storage.errors import NotFound
from gateway.config import GatewaySettings
from gateway.metrics import PENDING_BACKLOG, WORKER_RESULTS
from gateway.uploads import UploadPipeline, pending_code

log = logging.getLogger(__name__)


class PendingWorker:
    def __init__(self, pipeline: UploadPipeline, settings: GatewaySettings) -> None:
        self.pipeline = pipeline
        self.settings = settings
        self._limiter = asyncio.Semaphore(settings.fanout_concurrency)
        # Who holds a lease: this replica's worker (several gateways poll the same backlog).
        self.holder = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        # Longer than one retry can take, so a lease never ends under a live attempt.
        self.lease_s = settings.preprocess_timeout_s + 2 * settings.ingest_timeout_s + 30

    def _due(self, media: Media) -> bool:
        backoff_s = min(self.settings.worker_grace_s * 2 ** max(media.attempts - 1, 0), self.settings.worker_max_backoff_s)
        return media.updated_at + timedelta(seconds=backoff_s) <= utc_now()

    async def _fail(self, media: Media, code: ErrorCode, message: str, *, final: bool) -> None:
        await self.pipeline.ingest.record_failure(media.id, FailureIn(error=ErrorInfo(code=code, message=message),
                                                                      final=final))

    async def _retry(self, media: Media, *, alone: bool = False) -> str:
        ingest = self.pipeline.ingest
        async with self._limiter:
            if await ingest.lease(media.id, LeaseIn(holder=self.holder, duration_s=self.lease_s)) is None:
                return "leased"  # another replica retries it (or just finished it)
            location = original_location(media.blob_original)
            try:
                if location is None:  # a record must point at an original, never elsewhere
                    raise NotFound(f"{media.blob_original!r} is not an original's path")
                data = await self.pipeline.blobs.get(*location)
            except NotFound:
                await self._fail(media, ErrorCode.ORIGINAL_MISSING, "the stored original is gone", final=True)
                return "failed"
            outcome = await self.pipeline.preprocess.classify(data, media_id=media.id)
            if isinstance(outcome, Rejected):  # acknowledged earlier: kept, visible as failed
                await self._fail(media, outcome.code, outcome.message, final=True)
                return "rejected"
            if isinstance(outcome, Unavailable):
                if outcome.interrupted and alone:
                    await self._fail(media, ErrorCode.POISON_FILE,
                                     f"classifying it was interrupted twice, the second time alone: {outcome.message}",
                                     final=True)
                    return "poison"
                await self._fail(media, pending_code(outcome), outcome.message, final=False)
                return "pending"
            # ingest groups the frame into its burst as it records it.
            await ingest.record_classification(media.id, Classification(
                exif=outcome.exif, prediction=outcome.prediction, blob_thumbnail=outcome.blob_thumbnail))
            return "classified"

    async def run_once(self) -> int:
        """One pass; returns how many media it finished (classified or failed)."""
        pending = await self.pipeline.ingest.pending(older_than_s=self.settings.worker_grace_s,
                                                      limit=self.settings.worker_batch)
        PENDING_BACKLOG.set(await self.pipeline.ingest.pending_count())
        due = [m for m in pending.items if self._due(m)]
        suspects = [m for m in due if m.error is not None and m.error.code is ErrorCode.CLASSIFY_INTERRUPTED]
        others = [m for m in due if m not in suspects]
        outcomes = await asyncio.gather(*(self._retry(m) for m in others), return_exceptions=True)
        for media in suspects:  # one at a time, after the rest: nothing else can be the cause
            try:
                outcomes.append(await self._retry(media, alone=True))
            except Exception as exc:  # noqa: BLE001 - counted like the gathered ones
                outcomes.append(exc)
        due = others + suspects
        finished = 0
        for media, outcome in zip(due, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                log.warning("retry of %s failed: %s", media.id, outcome)
                outcome = "error"
            WORKER_RESULTS.labels(outcome).inc()
            finished += outcome in ("classified", "rejected", "failed", "poison")
        return finished

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except AilurusError as exc:  # ingest down: try again next round
                log.info("pending worker idle: %s", exc.message)
            except Exception:  # noqa: BLE001 - the worker must outlive any single failure
                log.exception("pending worker pass failed")
            await asyncio.sleep(self.settings.worker_interval_s)
