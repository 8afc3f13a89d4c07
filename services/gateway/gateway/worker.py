"""Finish media left pending (preprocess, Triton or ingest was down) without a new
upload: poll ingest for pending media, back off per media on ``attempts``."""

import asyncio
import logging
from datetime import timedelta

from ailurus_common.clients.preprocess import Rejected, Unavailable
from ailurus_common.contracts.ingest import Classification, FailureIn
from ailurus_common.errors import AilurusError, ErrorCode
from ailurus_common.records import ErrorInfo, Media, utc_now
from ailurus_common.storage.blob import original_location
from ailurus_common.storage.errors import NotFound
from gateway.config import GatewaySettings
from gateway.metrics import PENDING_BACKLOG, WORKER_RESULTS
from gateway.uploads import UploadPipeline

log = logging.getLogger(__name__)


class PendingWorker:
    def __init__(self, pipeline: UploadPipeline, settings: GatewaySettings) -> None:
        self.pipeline = pipeline
        self.settings = settings
        self._limiter = asyncio.Semaphore(settings.fanout_concurrency)

    def _due(self, media: Media) -> bool:
        backoff_s = min(self.settings.worker_grace_s * 2 ** max(media.attempts - 1, 0), self.settings.worker_max_backoff_s)
        return media.updated_at + timedelta(seconds=backoff_s) <= utc_now()

    async def _fail(self, media: Media, code: ErrorCode, message: str, *, final: bool) -> None:
        await self.pipeline.ingest.record_failure(media.id, FailureIn(error=ErrorInfo(code=code, message=message),
                                                                      final=final))

    async def _retry(self, media: Media) -> str:
        ingest = self.pipeline.ingest
        async with self._limiter:
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
                await self._fail(media, ErrorCode.CLASSIFIER_UNAVAILABLE, outcome.message, final=False)
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
        outcomes = await asyncio.gather(*(self._retry(m) for m in due), return_exceptions=True)
        finished = 0
        for media, outcome in zip(due, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                log.warning("retry of %s failed: %s", media.id, outcome)
                outcome = "error"
            WORKER_RESULTS.labels(outcome).inc()
            finished += outcome in ("classified", "rejected", "failed")
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
