"""The upload path for one file: store the original, record it, classify, record the
result. The original is in ``uploads/`` and recorded (pending) before the response
acknowledges it; a classification that cannot happen now leaves it pending for the
retry worker."""

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from ailurus_common.contracts import ClassificationIn, FailureIn, MachinePrediction, MediaCreate
from ailurus_common.errors import AilurusError
from ailurus_common.records import ErrorInfo, ExifInfo, Gps, ModelRef
from ailurus_common.sniff import sniff_image_type
from ailurus_common.storage.blob import PROCESSED, UPLOADS, BlobStore
from gateway.clients import Classified, IngestClient, PreprocessClient, Rejected, Unavailable
from gateway.metrics import IN_FLIGHT_FILES, TRAP_LAST_UPLOAD, UPLOAD_FILES, UPLOAD_STAGE_SECONDS
from gateway.schemas import FileResult

log = logging.getLogger(__name__)


def original_blob_name(media_id: str) -> str:
    """Content-addressed: the same bytes always land on the same name."""
    return f"{media_id[:2]}/{media_id}"


def _prediction(outcome: Classified) -> MachinePrediction:
    """The part of preprocess's answer that is recorded and returned to the uploader."""
    p = outcome.body["prediction"]
    return MachinePrediction(group=p["group"], label=p["label"], confidence=p["confidence"], blank=p["blank"],
                             top_k=p["top_k"], model=p["model"])


def _exif(outcome: Classified) -> ExifInfo:
    image = outcome.body["image"]
    gps = image.get("gps")
    return ExifInfo(make=image.get("make"), model=image.get("model"), captured_at_local=image.get("captured_at"),
                    gps=Gps(**gps) if gps else None, width=image.get("width"), height=image.get("height"),
                    orientation=image.get("orientation"), format=image.get("format"))


Notify = Callable[[dict], None]


def _no_progress(_: dict) -> None:
    return None


@dataclass
class UploadPipeline:
    blobs: BlobStore
    ingest: IngestClient
    preprocess: PreprocessClient
    max_file_bytes: int

    async def finish(self, media_id: str, outcome: Classified | Rejected | Unavailable, *,
                     from_worker: bool) -> FileResult | None:
        """Record what classification gave. Returns the result for an upload response;
        ``None`` means the media stays pending."""
        if isinstance(outcome, Classified):
            thumbnail_blob = None
            if outcome.thumbnail_jpeg:
                thumbnail_blob = f"{media_id}.jpg"
                await self.blobs.put(PROCESSED, thumbnail_blob, outcome.thumbnail_jpeg, content_type="image/jpeg",
                                     overwrite=True)
            prediction = _prediction(outcome)
            await self.ingest.put_classification(media_id, ClassificationIn(
                exif=_exif(outcome), prediction=prediction, blob_thumbnail=thumbnail_blob))
            return FileResult(filename="", status="classified", media_id=media_id, prediction=prediction)
        if isinstance(outcome, Rejected):
            if from_worker:  # acknowledged earlier: keep it, visible as failed
                await self.ingest.put_failure(media_id, FailureIn(error=ErrorInfo(code=outcome.code,
                                                                                  message=outcome.message), final=True))
            else:  # refused in the same request: nothing of it is kept
                await self.ingest.delete_media(media_id)
                await self.blobs.delete(UPLOADS, original_blob_name(media_id))
            return FileResult(filename="", status="rejected", error=ErrorInfo(code=outcome.code, message=outcome.message))
        await self.ingest.put_failure(media_id, FailureIn(error=ErrorInfo(code="classifier_unavailable",
                                                                          message=outcome.message), final=False))
        return None

    async def regroup(self, results: list[FileResult]) -> None:
        """Let ingest group the new frames into bursts with each other and with frames
        already stored, now that all are recorded (best effort: a miss leaves each frame
        its own burst, never loses data)."""
        media_ids = [r.media_id for r in results if r.status == "classified" and r.media_id]
        if media_ids:
            try:
                await self.ingest.rebuild_sequences(media_ids)
            except AilurusError as exc:
                log.warning("burst regrouping skipped: %s", exc.message)

    async def upload_one(self, trap_id: str, filename: str, data: bytes, *, user: str,
                         notify: Notify = _no_progress) -> FileResult:
        """Store, record and classify one file; never raises for a bad file. ``notify``
        hears ``stored`` and the final result (live progress)."""
        IN_FLIGHT_FILES.inc()
        try:
            result = await self._upload_one(trap_id, filename, data, user=user, notify=notify)
        finally:
            IN_FLIGHT_FILES.dec()
        UPLOAD_FILES.labels(result.status, result.prediction.group if result.prediction else "").inc()
        result = result.model_copy(update={"filename": filename})
        notify(result.model_dump(mode="json", exclude_none=True))
        return result

    async def _upload_one(self, trap_id: str, filename: str, data: bytes, *, user: str, notify: Notify) -> FileResult:
        def rejected(code: str, message: str) -> FileResult:
            return FileResult(filename=filename, status="rejected", error=ErrorInfo(code=code, message=message))

        if not data:
            return rejected("empty_file", "the file is empty (0 bytes)")
        if len(data) > self.max_file_bytes:
            return rejected("too_large", f"the file has {len(data)} bytes; the limit is {self.max_file_bytes}")
        media_type = sniff_image_type(data)
        if media_type is None:
            return rejected("unsupported_format", "not an image in a supported format "
                                                  "(JPEG, PNG, WebP, TIFF, BMP, GIF, HEIC)")
        media_id = hashlib.sha256(data).hexdigest()
        blob_name = original_blob_name(media_id)
        t0 = time.perf_counter()
        try:
            await self.blobs.put(UPLOADS, blob_name, data, content_type=media_type)
            t1 = time.perf_counter()
            created = await self.ingest.create_media(MediaCreate(
                id=media_id, deployment_id=trap_id, file_name=filename[:255], media_type=media_type,
                size_bytes=len(data), blob_original=f"{UPLOADS}/{blob_name}", uploaded_by=user))
        except AilurusError as exc:
            # Not acknowledged: the caller must upload it again (the stored bytes are reused).
            return rejected(exc.code, f"not stored, upload again: {exc.message}")
        t2 = time.perf_counter()
        TRAP_LAST_UPLOAD.labels(trap_id).set_to_current_time()
        if not created:
            _observe_stages({"store": t1 - t0, "record": t2 - t1}, None)
            return FileResult(filename=filename, status="duplicate", media_id=media_id)
        notify({"filename": filename, "status": "stored", "media_id": media_id})
        outcome = await self.preprocess.classify(data)
        t3 = time.perf_counter()
        try:
            result = await self.finish(media_id, outcome, from_worker=False)
        except AilurusError as exc:
            log.warning("media %s stays pending: %s", media_id, exc.message)
            result = None
        model = result.prediction.model if result and result.prediction else None
        _observe_stages({"store": t1 - t0, "record": t2 - t1, "classify": t3 - t2,
                         "finish": time.perf_counter() - t3}, model)
        return result or FileResult(filename=filename, status="pending", media_id=media_id)


def _observe_stages(seconds: dict[str, float], model: ModelRef | None) -> None:
    """Stage latencies labelled with the model that classified the file ("" when none did)."""
    name, version = (model.name, model.version) if model else ("", "")
    for stage, value in seconds.items():
        UPLOAD_STAGE_SECONDS.labels(stage, name, version).observe(value)
