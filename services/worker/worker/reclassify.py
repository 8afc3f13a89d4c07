"""One media of a re-classification job: its original through the live model again, the
answer recorded as a new machine observation (the old ones stay; a review still wins) only
when the model that answered is the job's. A switch of the live model mid-job fails the
item instead of filing a label under the wrong version."""

import logging
from dataclasses import dataclass

from ailurus_common.clients.preprocess import Rejected, Unavailable
from ailurus_common.contracts.classify import ClassifyResult
from ailurus_common.contracts.ingest import Classification
from ailurus_common.contracts.work import ReclassifyShard
from ailurus_common.storage.blob import original_location
from ailurus_common.storage.errors import NotFound
from ailurus_common.telemetry import span_attributes, tracer
from worker.errors import ShardOutage
from worker.media import MediaWork
from worker.metrics import RECLASSIFIED
from worker.ratelimit import TokenBucket

log = logging.getLogger(__name__)
_tracer = tracer(__name__)


@dataclass
class Reclassifier:
    """Classify calls go through ``limiter`` (``WORKER_RECLASSIFY_RATE_PER_S``), beside the
    pending media's, through the same ``Gate``."""

    work: MediaWork
    limiter: TokenBucket

    async def _classify(self, data: bytes, media_id: str) -> ClassifyResult | Rejected | Unavailable:
        await self.limiter.acquire()
        async with self.work.gate.shared():
            outcome = await self.work.preprocess.classify(data, media_id=media_id)
        if isinstance(outcome, Unavailable) and outcome.interrupted:
            # The call died under it: the file may be the cause. Once more alone, as
            # MediaWork does with a suspect; dying again alone, it is (the item fails).
            await self.limiter.acquire()
            async with self.work.gate.alone():
                outcome = await self.work.preprocess.classify(data, media_id=media_id)
        return outcome

    async def item(self, shard: ReclassifyShard, media_id: str) -> str:
        """``done`` (recorded now, or labelled by the job's model already) or ``failed`` (gone,
        refused, or answered by another model). Raises ``ShardOutage`` when the classifier is
        down (the shard comes back; what was recorded is not recorded twice)."""
        with _tracer.start_as_current_span("worker.reclassify_item",
                                           attributes=span_attributes(media_id=media_id)) as span:
            outcome = await self._item(shard, media_id)
            span.set_attributes(span_attributes(outcome=outcome))
            RECLASSIFIED.labels(outcome).inc()
            return "done" if outcome in ("recorded", "held") else "failed"

    async def _item(self, shard: ReclassifyShard, media_id: str) -> str:
        ingest = self.work.ingest
        media = await ingest.find_media(media_id)
        if media is None:
            return "missing"  # deleted since the job was submitted
        if media.labelled_by(shard.model):
            return "held"  # a redelivered shard, or another job got there first
        location = original_location(media.blob_original)
        try:
            if location is None:
                raise NotFound(f"{media.blob_original!r} is not an original's path")
            data = await self.work.blobs.get(*location)
        except NotFound:
            log.info("job %s: the original of %s is gone", shard.job_id, media_id)
            return "missing"
        outcome = await self._classify(data, media.id)
        if isinstance(outcome, Rejected):
            return "rejected"
        if isinstance(outcome, Unavailable):
            if outcome.interrupted:
                return "poison"
            raise ShardOutage(f"media {media_id} not re-classified: {outcome.message}")
        answered = outcome.prediction.model
        if f"{answered.name}:{answered.version}" != shard.model:
            log.warning("job %s: %s answered for %s, not the job's %s (the live model changed): not recorded",
                        shard.job_id, f"{answered.name}:{answered.version}", media_id, shard.model)
            return "model_mismatch"
        await ingest.record_classification(media.id, Classification(
            exif=outcome.exif, prediction=outcome.prediction, blob_thumbnail=outcome.blob_thumbnail))
        return "recorded"
