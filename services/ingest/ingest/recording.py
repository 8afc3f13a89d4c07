"""State changes of a media record: classification, failure, retry, review."""

import asyncio
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from ailurus_common.contracts import ClassificationIn, FailureIn, ReviewIn
from ailurus_common.domain import MediaStatus
from ailurus_common.records import Media, Observation, utc_now
from ailurus_common.storage.metadata import MetadataStore
from ingest.errors import MediaNotFound, TrapNotFound
from ingest.metrics import RECORDED
from ingest.timeline import capture_time_utc, regroup


async def media_or_404(store: MetadataStore, media_id: str) -> Media:
    """The stored media; ``MediaNotFound`` (404) when there is none."""
    media = await store.get_media(media_id)
    if media is None:
        raise MediaNotFound(f"no media {media_id}")
    return media


async def record_classification(store: MetadataStore, media_id: str, body: ClassificationIn) -> Media:
    """Store what preprocess found. Idempotent: the same model version classifying the
    same media twice (a retry after a lost response) adds no second observation."""
    media = await media_or_404(store, media_id)
    model = body.prediction.model
    if any(o.method == "machine" and o.model == model for o in media.observations):
        return media
    deployment = await store.get_deployment(media.deployment_id)
    if deployment is None:
        raise TrapNotFound(f"media {media_id} belongs to a trap that no longer exists")
    captured = capture_time_utc(body.exif.captured_at_local, deployment)
    media = media.model_copy(update={
        "exif": body.exif, "status": MediaStatus.CLASSIFIED, "error": None,
        "timestamp": captured or media.uploaded_at, "timestamp_source": "exif" if captured else "upload",
        "capture_hour": captured.astimezone(ZoneInfo(deployment.timezone)).hour if captured else None,
        "blob_thumbnail": body.blob_thumbnail or media.blob_thumbnail,
        "media_type": _media_type(body.exif.format) or media.media_type,
    })
    # A frame starts as its own burst; rebuild_sequences (called by the gateway once the
    # files of a request are recorded) joins it to its neighbours.
    media = media.model_copy(update={"sequence_id": media.sequence_id or media.id})
    p = body.prediction
    media = media.with_observation(Observation(
        id=uuid.uuid4().hex, group=p.group, label=p.label, probability=p.confidence, blank=p.blank, top_k=p.top_k,
        method="machine", classified_by=f"{model.name}:{model.version}", model=model,
    ))
    await store.replace_media(media)
    RECORDED.labels(media.status.value, media.group.value if media.group else "").inc()
    return media


def _media_type(image_format: str | None) -> str | None:
    formats = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "TIFF": "image/tiff",
               "BMP": "image/bmp", "GIF": "image/gif", "HEIF": "image/heic"}
    return formats.get((image_format or "").upper())


async def rebuild_sequences(store: MetadataStore, media_ids: list[str], *, sequence_gap_s: float) -> int:
    """Recompute burst sequences around these media, once they are all recorded.

    Frames classified concurrently cannot see each other while they are recorded; this
    pass over the time span they cover makes the grouping exact. Returns how many media
    changed sequence.
    """
    found = [m for m in await asyncio.gather(*(store.get_media(i) for i in media_ids))
             if m and m.status is MediaStatus.CLASSIFIED]
    changed = 0
    gap = timedelta(seconds=sequence_gap_s)
    for deployment_id in {m.deployment_id for m in found}:
        times = [m.timestamp for m in found if m.deployment_id == deployment_id]
        # Widen the window by the gap on each side so a burst reaching past it is seen whole.
        window = await store.media_near(deployment_id, min(times) - 3 * gap, max(times) + 3 * gap)
        frames = [m for m in window if m.status is MediaStatus.CLASSIFIED]
        sequences = regroup(frames, sequence_gap_s)
        for frame in frames:
            sequence = sequences[frame.id]
            if frame.sequence_id != sequence:
                await store.replace_media(frame.model_copy(update={"sequence_id": sequence}))
                changed += 1
    return changed


async def record_failure(store: MetadataStore, media_id: str, body: FailureIn) -> Media:
    """A final failure marks the media failed; a transient one keeps it pending and
    counts the attempt (the retry worker backs off on ``attempts``)."""
    media = await media_or_404(store, media_id)
    if media.status is MediaStatus.CLASSIFIED:
        return media
    media = media.model_copy(update={
        "status": MediaStatus.FAILED if body.final else MediaStatus.PENDING,
        "error": body.error, "attempts": media.attempts + 1, "updated_at": utc_now(),
    })
    await store.replace_media(media)
    RECORDED.labels(media.status.value, "").inc()
    return media


async def record_review(store: MetadataStore, media_id: str, body: ReviewIn) -> Media:
    """A human observation beside the machine ones; the current label becomes the human one."""
    media = await media_or_404(store, media_id)
    media = media.with_observation(Observation(
        id=uuid.uuid4().hex, group=body.group, label=body.label, probability=1.0, method="human",
        classified_by=body.reviewer or "unknown",
    ))
    await store.replace_media(media)
    RECORDED.labels("reviewed", body.group.value).inc()
    return media
