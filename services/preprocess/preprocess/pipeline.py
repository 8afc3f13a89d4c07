"""One image through the stages: decode (worker thread), infer (classifier), summarise."""

import asyncio
import base64
import time
from concurrent.futures import Executor
from dataclasses import dataclass

from ailurus_common.records import LabelScore, ModelRef
from ailurus_common.taxonomy import Taxonomy
from preprocess.classifier.base import Classifier
from preprocess.config import PreprocessSettings
from preprocess.decode import DecodeLimits, decode
from preprocess.errors import ClassifierUnavailable, ImageError
from preprocess.metrics import IMAGES, IN_FLIGHT, MODEL_INFO, STAGE_SECONDS
from preprocess.schemas import ClassifyResponse, Gps, ImageFacts, Prediction, Timings


@dataclass
class Pipeline:
    settings: PreprocessSettings
    classifier: Classifier
    taxonomy: Taxonomy
    decode_executor: Executor
    _model_seen: ModelRef | None = None

    @property
    def limits(self) -> DecodeLimits:
        s = self.settings
        return DecodeLimits(max_bytes=s.max_body_bytes, max_pixels=s.max_pixels, min_side_px=s.min_side_px,
                            max_aspect_ratio=s.max_aspect_ratio)

    async def classify(self, data: bytes, *, thumbnail: bool = False) -> ClassifyResponse:
        """Decode, classify and summarise one image; raises ``ImageError`` for bad input."""
        s = self.settings
        IN_FLIGHT.inc()
        try:
            t0 = time.perf_counter()
            try:
                decoded = await asyncio.get_running_loop().run_in_executor(
                    self.decode_executor, lambda: decode(data, self.limits, input_size_px=s.input_size_px,
                                                         crop_fraction=s.crop_fraction,
                                                         thumbnail_px=s.thumbnail_px if thumbnail else None))
            except ImageError as exc:
                IMAGES.labels("rejected", "", exc.code).inc()
                raise
            t1 = time.perf_counter()
            try:
                probabilities, model = await self.classifier.classify(decoded.pixels[None])
            except ClassifierUnavailable as exc:
                IMAGES.labels("unavailable", "", exc.code).inc()
                raise
            t2 = time.perf_counter()
            summary = self.taxonomy.summarize(probabilities[0], top_k=s.top_k, blank_threshold=s.blank_threshold)
            t3 = time.perf_counter()
        finally:
            IN_FLIGHT.dec()
        for stage, seconds in (("decode", t1 - t0), ("infer", t2 - t1), ("postprocess", t3 - t2)):
            STAGE_SECONDS.labels(stage, model.name, model.version).observe(seconds)
        IMAGES.labels("classified", summary.group.value, "").inc()
        if self._model_seen != model:  # a new version is live: the old one stops being reported
            MODEL_INFO.clear()
            MODEL_INFO.labels(model.name, model.version, self.taxonomy.version).set(1)
            self._model_seen = model
        exif = decoded.exif
        return ClassifyResponse(
            image=ImageFacts(
                format=decoded.format, width=decoded.width, height=decoded.height, frames=decoded.frames,
                orientation=exif.orientation, orientation_applied=exif.orientation != 1,
                decode_scale=decoded.decode_scale, captured_at=exif.captured_at,
                gps=Gps(latitude=exif.latitude, longitude=exif.longitude, altitude_m=exif.altitude_m)
                if exif.latitude is not None else None,
                make=exif.make, model=exif.model,
            ),
            prediction=Prediction(
                group=summary.group, label=summary.label, confidence=round(summary.confidence, 6),
                blank=summary.blank,
                top_k=[LabelScore(label=label, score=round(score, 6)) for label, score in summary.top_k],
                group_scores=summary.group_scores, model=model,
                taxonomy_version=self.taxonomy.version,
            ),
            thumbnail_jpeg=base64.b64encode(decoded.thumbnail_jpeg).decode() if decoded.thumbnail_jpeg else None,
            timings=Timings(decode_ms=round((t1 - t0) * 1e3, 3), infer_ms=round((t2 - t1) * 1e3, 3),
                            postprocess_ms=round((t3 - t2) * 1e3, 3), total_ms=round((t3 - t0) * 1e3, 3)),
        )
