"""One image through the stages: decode (worker thread), infer (classifier), summarise,
and store its thumbnail in ``processed/`` (it never travels back through the gateway)."""

import asyncio
import time
from concurrent.futures import Executor
from dataclasses import dataclass

from ailurus_common.contracts.classify import ClassifyResult, Timings, thumbnail_blob_name
from ailurus_common.records import ExifInfo, Gps, LabelScore, MachinePrediction, ModelRef
from ailurus_common.storage.blob import PROCESSED, BlobStore
from ailurus_common.taxonomy import Taxonomy, TaxonomyError
from ailurus_common.telemetry import span_attributes, tracer
from preprocess.catalog import ModelCatalog
from preprocess.classifier.base import Classifier
from preprocess.config import PreprocessSettings
from preprocess.decode import DecodedImage, decode
from preprocess.decode_budget import DecodeBudget
from preprocess.errors import ClassifierUnavailable, ImageError
from preprocess.metrics import (
    IMAGES,
    IN_FLIGHT,
    MODEL_INFO,
    PREDICTION_LABELS_MAX,
    PREDICTIONS,
    PREDICTIONS_BY_LABEL,
    STAGE_SECONDS,
)
from preprocess.serving import ServingPointer

_tracer = tracer(__name__)


def _exif(decoded: DecodedImage) -> ExifInfo:
    facts = decoded.exif
    gps = (Gps(latitude=facts.latitude, longitude=facts.longitude, altitude_m=facts.altitude_m)
           if facts.latitude is not None and facts.longitude is not None else None)
    return ExifInfo(make=facts.make, model=facts.model, captured_at_local=facts.captured_at_local, gps=gps,
                    width=decoded.width, height=decoded.height, orientation=facts.orientation, format=decoded.format)


@dataclass
class Pipeline:
    settings: PreprocessSettings
    classifier: Classifier
    catalog: ModelCatalog
    serving: ServingPointer
    decode_executor: Executor
    blobs: BlobStore
    _model_seen: ModelRef | None = None

    def __post_init__(self) -> None:
        self.limits = self.settings.decode_limits()
        self.budget = DecodeBudget(self.settings.decode_pool_bytes)  # shared by the decode threads

    async def classify(self, data: bytes, *, media_id: str | None = None) -> ClassifyResult:
        """Decode, classify and summarise one image; with ``media_id``, store its thumbnail
        as ``processed/<media_id>.jpg``. Raises ``ImageError`` for bad input."""
        s = self.settings
        target = self.serving.current  # fixed for this request: a switch applies to the next one
        IN_FLIGHT.inc()
        try:
            t0 = time.perf_counter()
            try:
                input_size_px = await self.classifier.input_size_px(target.name)
            except ClassifierUnavailable:
                # Decode anyway: a bad image is still refused as such while the classifier is down.
                input_size_px = s.input_size_px
            try:
                with _tracer.start_as_current_span("decode", attributes=span_attributes(
                        media_id=media_id, bytes=len(data))) as span:
                    decoded = await asyncio.get_running_loop().run_in_executor(
                        self.decode_executor, lambda: decode(data, self.limits, input_size_px=input_size_px,
                                                             crop_fraction=s.crop_fraction,
                                                             thumbnail_px=s.thumbnail_px if media_id else None,
                                                             budget=self.budget))
                    span.set_attributes(span_attributes(decode_scale=decoded.decode_scale))
            except ImageError as exc:
                IMAGES.labels("rejected", "", exc.code).inc()
                raise
            t1 = time.perf_counter()
            # The thumbnail is written while Triton works on the pixels.
            thumbnail = asyncio.ensure_future(self._store_thumbnail(media_id, decoded.thumbnail_jpeg))
            try:
                with _tracer.start_as_current_span("infer", attributes=span_attributes(
                        media_id=media_id, model_name=target.name, model_version=target.version)) as span:
                    probabilities, model = await self.classifier.classify(decoded.pixels[None], target)
                    span.set_attributes(span_attributes(model_name=model.name, model_version=model.version))
                taxonomy = await self._taxonomy(model)
            except ClassifierUnavailable as exc:
                IMAGES.labels("unavailable", "", exc.code).inc()
                raise
            finally:
                blob_thumbnail = await thumbnail
            t2 = time.perf_counter()
            summary = taxonomy.summarize(probabilities[0], top_k=s.top_k, blank_threshold=s.blank_threshold)
            t3 = time.perf_counter()
        finally:
            IN_FLIGHT.dec()
        for stage, seconds in (("decode", t1 - t0), ("infer", t2 - t1), ("postprocess", t3 - t2)):
            STAGE_SECONDS.labels(stage, model.name, model.version).observe(seconds)
        IMAGES.labels("classified", summary.group.value, "").inc()
        PREDICTIONS.labels(model.name, model.version, summary.group.value).inc()
        if len(taxonomy.labels) <= PREDICTION_LABELS_MAX:
            PREDICTIONS_BY_LABEL.labels(model.name, model.version, summary.label).inc()
        if self._model_seen != model:  # a new version is live: the old one stops being reported
            MODEL_INFO.clear()
            MODEL_INFO.labels(model.name, model.version, taxonomy.version).set(1)
            self._model_seen = model
        return ClassifyResult(
            exif=_exif(decoded), frames=decoded.frames, orientation_applied=decoded.exif.orientation != 1,
            decode_scale=decoded.decode_scale,
            prediction=MachinePrediction(
                group=summary.group, label=summary.label, confidence=round(summary.confidence, 6),
                blank=summary.blank, top_k=[LabelScore(label=label, score=round(score, 6), group=group)
                                            for (label, score), group in zip(summary.top_k, summary.top_k_groups,
                                                                             strict=True)], model=model),
            group_scores=summary.group_scores, taxonomy_version=taxonomy.version,
            blob_thumbnail=blob_thumbnail,
            timings=Timings(decode_ms=round((t1 - t0) * 1e3, 3), infer_ms=round((t2 - t1) * 1e3, 3),
                            postprocess_ms=round((t3 - t2) * 1e3, 3), total_ms=round((t3 - t0) * 1e3, 3)),
        )

    async def _taxonomy(self, model: ModelRef) -> Taxonomy:
        """The labels and groups of the model that answered (not of the one asked for)."""
        try:
            return await self.catalog.taxonomy(model.name)
        except TaxonomyError as exc:  # the answer cannot be read: an outage of the model's files, not a bad image
            raise ClassifierUnavailable(f"model {model.name} answered but its labels are missing: {exc}",
                                        retry_after_s=self.settings.retry_after_s) from None

    async def _store_thumbnail(self, media_id: str | None, jpeg: bytes | None) -> str | None:
        if not media_id or not jpeg:
            return None
        name = thumbnail_blob_name(media_id)
        with _tracer.start_as_current_span("thumbnail", attributes=span_attributes(media_id=media_id, bytes=len(jpeg))):
            await self.blobs.put(PROCESSED, name, jpeg, content_type="image/jpeg", overwrite=True)
        return name
