"""The upload path: store each original, classify it, then record the request's files in
ingest in as few writes as possible (one per ``record_batch`` files). The original is in
``uploads/`` and recorded before the response acknowledges it; a file that cannot be
classified now is recorded pending and put on the pending-media queue, where the worker
deployable (services/worker) finishes it."""

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ailurus_common.clients.ingest import IngestClient
from ailurus_common.clients.preprocess import PreprocessClient, Rejected, Unavailable
from ailurus_common.contracts.ingest import Classification, MediaBatch, NewMedia
from ailurus_common.contracts.work import PendingMedia
from ailurus_common.errors import AilurusError, ErrorCode
from ailurus_common.queue.base import WorkQueue
from ailurus_common.records import ErrorInfo
from ailurus_common.sniff import SUPPORTED_TEXT, sniff_image_type
from ailurus_common.storage.blob import UPLOADS, BlobStore, original_blob_name
from ailurus_common.storage.errors import StorageFull
from ailurus_common.telemetry import span_attributes, tracer
from gateway.metrics import IN_FLIGHT_FILES, PENDING_NOT_QUEUED, TRAP_LAST_UPLOAD, UPLOAD_FILES, UPLOAD_STAGE_SECONDS
from gateway.schemas import ErrorBody, FileResult

log = logging.getLogger(__name__)
_tracer = tracer(__name__)

Notify = Callable[[dict], None]
Enqueue = Callable[[list[str]], Awaitable[None]]


def _rejected(filename: str, code: ErrorCode, message: str) -> FileResult:
    return FileResult(filename=filename, status="rejected", error=ErrorBody(code=code, message=message))


@dataclass
class _Staged:
    """A stored (and maybe classified) original waiting for its ingest write."""

    item: NewMedia
    result: FileResult
    done: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class UploadRecorder:
    """Collects one request's staged files and records them in ingest ``batch`` at a time,
    and the rest once every file of the request has been seen (writes run one after the
    other: each sees the bursts the previous one made). The number of files is known only
    when the body has been read: ``expect`` tells it."""

    def __init__(self, ingest: IngestClient, trap_id: str, *, batch: int, enqueue: Enqueue) -> None:
        self._ingest, self._trap_id, self._batch, self._enqueue = ingest, trap_id, batch, enqueue
        self._seen = 0
        self._total: int | None = None
        self._waiting: list[_Staged] = []
        self._lock = asyncio.Lock()

    async def add(self, staged: _Staged) -> FileResult:
        """Queue a staged file; returns its result once it is recorded."""
        self._waiting.append(staged)
        await self.skip()
        return await staged.done

    async def skip(self) -> None:
        """A file that needs no write (rejected, duplicate) has been seen."""
        self._seen += 1
        await self._flush_if_due()

    async def expect(self, files: int) -> None:
        """The request has ``files`` files in all."""
        self._total = files
        await self._flush_if_due()

    async def _flush_if_due(self) -> None:
        all_seen = self._total is not None and self._seen >= self._total
        if len(self._waiting) >= self._batch or (all_seen and self._waiting):
            await self._flush()

    async def _flush(self) -> None:
        async with self._lock:
            batch, self._waiting = self._waiting, []
            if not batch:
                return
            t0 = time.perf_counter()
            try:
                with _tracer.start_as_current_span("record", attributes=span_attributes(
                        trap_id=self._trap_id, files=len(batch))):
                    answer = await self._ingest.record_media(self._trap_id,
                                                             MediaBatch(items=[s.item for s in batch]))
                statuses = [r.status for r in answer.items]
            except Exception as exc:  # noqa: BLE001 - every waiting file must get its answer
                # Not recorded, so not acknowledged: the caller uploads again (stored bytes are reused).
                log.warning("upload of %d files not recorded: %s", len(batch), exc)
                error = exc if isinstance(exc, AilurusError) else AilurusError(f"ingest write failed: {exc}")
                statuses = [error] * len(batch)
            # Recorded pending (not a duplicate): the worker finishes it from the queue.
            await self._enqueue([s.item.id for s, status in zip(batch, statuses, strict=True)
                                 if status == "recorded" and s.item.classification is None])
            per_file_s = (time.perf_counter() - t0) / len(batch)
            for staged, status in zip(batch, statuses, strict=True):
                result = staged.result
                if isinstance(status, AilurusError):
                    result = _rejected(result.filename, ErrorCode.NOT_STORED,
                                       f"not stored, upload again: {status.message}")
                elif status == "duplicate":
                    result = FileResult(filename=result.filename, status="duplicate", media_id=staged.item.id)
                _observe_stages({"record": per_file_s}, staged.result)
                staged.done.set_result(result)


@dataclass
class UploadPipeline:
    blobs: BlobStore
    ingest: IngestClient
    preprocess: PreprocessClient
    pending: WorkQueue
    record_batch: int = 100
    # Media left pending wait this long on the queue before the worker first tries them.
    pending_delay_s: int = 30

    def recorder(self, trap_id: str) -> UploadRecorder:
        """The recorder of one request."""
        return UploadRecorder(self.ingest, trap_id, batch=self.record_batch, enqueue=self.enqueue_pending)

    async def enqueue_pending(self, media_ids: list[str]) -> None:
        """Put recorded pending media on the queue. A send that fails is counted and logged,
        never fails the upload: the file is acknowledged and recorded, and the worker's sweep
        finds pending media without a message."""
        if not media_ids:
            return
        sent = await asyncio.gather(*(self.pending.send(PendingMedia(media_id=m).model_dump_json(),
                                                        delay_s=self.pending_delay_s) for m in media_ids),
                                    return_exceptions=True)
        for media_id, outcome in zip(media_ids, sent, strict=True):
            if isinstance(outcome, BaseException):
                PENDING_NOT_QUEUED.inc()
                log.warning("pending media %s not queued (the worker's sweep will find it): %s", media_id, outcome)

    @staticmethod
    def refuse(filename: str, code: ErrorCode, message: str) -> FileResult:
        """A file refused before it was stored (nothing of it is kept)."""
        return _rejected(filename, code, message)

    async def stage(self, trap_id: str, filename: str, data: bytes, *, user: str,
                    notify: Notify) -> "FileResult | _Staged":
        """Store and classify one file; never raises for a bad file. ``notify`` hears
        ``stored``. A final result (rejected, duplicate) or a file for ``finish`` to record."""
        IN_FLIGHT_FILES.inc()
        try:
            with _tracer.start_as_current_span("upload.file", attributes=span_attributes(
                    trap_id=trap_id, bytes=len(data))) as span:
                outcome = await self._stage(trap_id, filename, data, user=user, notify=notify)
                result = outcome.result if isinstance(outcome, _Staged) else outcome
                span.set_attributes(span_attributes(media_id=result.media_id, outcome=result.status,
                                                    error_code=result.error.code if result.error else None))
                return outcome
        finally:
            IN_FLIGHT_FILES.dec()

    async def finish(self, recorder: UploadRecorder, outcome: "FileResult | _Staged", *,
                     notify: Notify) -> FileResult:
        """Record a staged file (in its request's batch). ``notify`` hears its result as
        soon as it is known (live progress), and again if recording changed it."""
        if isinstance(outcome, _Staged):
            notify(outcome.result.model_dump(mode="json", exclude_none=True))
            result = await recorder.add(outcome)
            if result != outcome.result:
                notify(result.model_dump(mode="json", exclude_none=True))
        else:
            result = outcome
            notify(result.model_dump(mode="json", exclude_none=True))
            await recorder.skip()
        UPLOAD_FILES.labels(result.status, result.prediction.group if result.prediction else "").inc()
        return result

    async def _stage(self, trap_id: str, filename: str, data: bytes, *, user: str,
                     notify: Notify) -> FileResult | _Staged:
        if not data:
            return _rejected(filename, ErrorCode.EMPTY_FILE, "the file is empty (0 bytes)")
        media_type = sniff_image_type(data)  # decided here, once: ingest records it as is
        if media_type is None:
            return _rejected(filename, ErrorCode.UNSUPPORTED_FORMAT, f"not an image in a supported format "
                                                                     f"({SUPPORTED_TEXT})")
        media_id = hashlib.sha256(data).hexdigest()
        blob_name = original_blob_name(media_id)
        t0 = time.perf_counter()
        try:
            # The store is the cheap duplicate check: only bytes stored before are looked up.
            with _tracer.start_as_current_span("store_original", attributes=span_attributes(media_id=media_id)):
                stored = await self.blobs.put(UPLOADS, blob_name, data, content_type=media_type)
            if not stored and await self.ingest.find_media(media_id) is not None:
                return FileResult(filename=filename, status="duplicate", media_id=media_id)
        except StorageFull as exc:
            return _rejected(filename, ErrorCode.STORAGE_FULL, f"not stored, upload again later: {exc.message}")
        except AilurusError as exc:
            return _rejected(filename, ErrorCode.NOT_STORED, f"not stored, upload again: {exc.message}")
        t1 = time.perf_counter()
        TRAP_LAST_UPLOAD.labels(trap_id).set_to_current_time()
        notify({"filename": filename, "status": "stored", "media_id": media_id})
        with _tracer.start_as_current_span("classify", attributes=span_attributes(media_id=media_id)):
            outcome = await self.preprocess.classify(data, media_id=media_id)
        t2 = time.perf_counter()
        item = NewMedia(id=media_id, file_name=filename[:255], media_type=media_type, size_bytes=len(data),
                        blob_original=f"{UPLOADS}/{blob_name}", uploaded_by=user)
        if isinstance(outcome, Rejected):  # refused in the same request: nothing of it is kept
            await self._forget(blob_name)
            return _rejected(filename, outcome.code, outcome.message)
        if isinstance(outcome, Unavailable):
            log.warning("media %s stays pending: %s", media_id, outcome.message)
            item.error = ErrorInfo(code=pending_code(outcome), message=outcome.message)
            result = FileResult(filename=filename, status="pending", media_id=media_id)
            _observe_stages({"store": t1 - t0, "classify": t2 - t1}, result)
            return _Staged(item, result)
        item.classification = Classification(exif=outcome.exif, prediction=outcome.prediction,
                                             blob_thumbnail=outcome.blob_thumbnail)
        result = FileResult(filename=filename, status="classified", media_id=media_id, prediction=outcome.prediction)
        _observe_stages({"store": t1 - t0, "classify": t2 - t1}, result)
        return _Staged(item, result)

    async def _forget(self, blob_name: str) -> None:
        try:
            await self.blobs.delete(UPLOADS, blob_name)
        except AilurusError as exc:  # an unreferenced original costs space, never correctness
            log.warning("rejected original %s not deleted: %s", blob_name, exc.message)


def pending_code(outcome: Unavailable) -> ErrorCode:
    """Why a media stays pending: the classifier was down, or the call died on this file."""
    return ErrorCode.CLASSIFY_INTERRUPTED if outcome.interrupted else ErrorCode.CLASSIFIER_UNAVAILABLE


def _observe_stages(seconds: dict[str, float], result: FileResult) -> None:
    """Stage latencies labelled with the model that classified the file ("" when none did)."""
    model = result.prediction.model if result.prediction else None
    name, version = (model.name, model.version) if model else ("", "")
    for stage, value in seconds.items():
        UPLOAD_STAGE_SECONDS.labels(stage, name, version).observe(value)
