"""State changes of media records: an upload's originals, a later classification, a
failure, a review. Burst grouping is ingest's own rule: it happens here, whenever
classified media are recorded, and nobody else calls it."""

import asyncio
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ailurus_common.contracts.ingest import (
    Classification,
    FailureIn,
    LeaseIn,
    MediaBatch,
    MediaBatchResult,
    NewMedia,
    Recorded,
    Review,
    ReviewDecided,
    ReviewDecision,
    ReviewDecisionResults,
    ReviewDecisions,
    ReviewUndo,
    ReviewUndone,
    ReviewUndoResults,
)
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.records import Deployment, Media, Observation, utc_now
from ingest.errors import Leased, MediaNotFound, NotPending, TrapNotFound
from ingest.events import EventPolicy
from ingest.metrics import RECORDED
from ingest.store.base import Frame, MetadataStore
from ingest.timeline import capture_time_utc, regroup

# Frames up to this many gaps beyond the new ones are read, so a burst reaching past them is seen whole.
_WINDOW_GAPS = 3


async def media_or_404(store: MetadataStore, media_id: str) -> Media:
    """The stored media; ``MediaNotFound`` (404) when there is none."""
    media = await store.get_media(media_id)
    if media is None:
        raise MediaNotFound(f"no media {media_id}")
    return media


async def deployment_or_404(store: MetadataStore, deployment_id: str) -> Deployment:
    deployment = await store.get_deployment(deployment_id)
    if deployment is None:
        raise TrapNotFound(f"no trap {deployment_id}")
    return deployment


def _classified(media: Media, classification: Classification, deployment: Deployment, *,
                observation_id: str | None = None) -> Media:
    """``media`` with the classification applied: capture time in the trap's zone, the
    machine observation (model name and version), status classified."""
    captured = capture_time_utc(classification.exif.captured_at_local, deployment)
    p = classification.prediction
    media = media.model_copy(update={
        "exif": classification.exif, "status": MediaStatus.CLASSIFIED, "error": None,
        "timestamp": captured or media.uploaded_at, "timestamp_source": "exif" if captured else "upload",
        "capture_hour": captured.astimezone(ZoneInfo(deployment.timezone)).hour if captured else None,
        "blob_thumbnail": classification.blob_thumbnail or media.blob_thumbnail,
        "lease_holder": None, "lease_until": None,
    })
    return media.with_observation(Observation(
        id=observation_id or uuid.uuid4().hex, group=p.group, label=p.label, confidence=p.confidence, blank=p.blank,
        top_k=p.top_k,
        method="machine", classified_by=f"{p.model.name}:{p.model.version}", model=p.model,
    ))


def _new_media(deployment: Deployment, item: NewMedia, now: datetime) -> Media:
    media = Media(id=item.id, deployment_id=deployment.id, file_name=item.file_name, media_type=item.media_type,
                  size_bytes=item.size_bytes, blob_original=item.blob_original, uploaded_by=item.uploaded_by,
                  timestamp=now, uploaded_at=now, updated_at=now)
    if item.classification is not None:
        return _classified(media, item.classification, deployment)
    if item.error is not None:  # classification could not happen now: the retry worker finishes it
        return media.model_copy(update={"error": item.error, "attempts": 1})
    return media


async def _neighbours(store: MetadataStore, deployment_id: str, frames: list[Media], gap_s: float) -> list[Frame]:
    """Classified frames already stored near ``frames`` in time (one light query)."""
    if not frames:
        return []
    gap = timedelta(seconds=gap_s * _WINDOW_GAPS)
    ids = {m.id for m in frames}
    window = await store.frames_near(deployment_id, min(m.timestamp for m in frames) - gap,
                                     max(m.timestamp for m in frames) + gap)
    return [f for f in window if f.id not in ids]


async def _store_sequences(store: MetadataStore, frames: list[Frame], sequences: dict[str, str]) -> int:
    """Write the stored frames whose burst changed (two bursts joined: rare); returns how many."""
    changed = 0
    for frame in frames:
        if frame.sequence_id == sequences[frame.id]:
            continue
        sequence_id = sequences[frame.id]
        await store.update_media(frame.id, lambda m, s=sequence_id: m if m.sequence_id == s
                                 else m.model_copy(update={"sequence_id": s}))
        changed += 1
    return changed


async def record_upload(store: MetadataStore, deployment_id: str, batch: MediaBatch, *,
                        sequence_gap_s: float, events: EventPolicy | None = None) -> MediaBatchResult:
    """Record the originals of one upload in one write, each classified or pending, and
    group the classified ones into bursts with each other and with stored neighbours."""
    deployment = await deployment_or_404(store, deployment_id)
    now = utc_now()
    media = [_new_media(deployment, item, now) for item in batch.items]
    fresh = [m for m in media if m.status is MediaStatus.CLASSIFIED]
    neighbours = await _neighbours(store, deployment.id, fresh, sequence_gap_s)
    sequences = regroup(neighbours + fresh, sequence_gap_s)
    media = [m.model_copy(update={"sequence_id": sequences[m.id]}) if m.id in sequences else m for m in media]
    created = await store.create_media_batch(
        media, events=(lambda stored: events.upload(deployment, stored)) if events else None)
    stored = [m for m, ok in zip(media, created, strict=True) if ok and m.status is MediaStatus.CLASSIFIED]
    if len(stored) != len(fresh):  # a duplicate took no place in a burst after all
        sequences = regroup(neighbours + stored, sequence_gap_s)
        await _store_sequences(store, [Frame(m.id, m.timestamp, m.sequence_id) for m in stored], sequences)
    await _store_sequences(store, neighbours, sequences)
    for m, ok in zip(media, created, strict=True):
        if ok:
            RECORDED.labels(m.status.value, m.group.value if m.group else "").inc()
    return MediaBatchResult(items=[Recorded(id=m.id, status="recorded" if ok else "duplicate")
                                   for m, ok in zip(media, created, strict=True)])


async def record_classification(store: MetadataStore, media_id: str, body: Classification, *,
                                sequence_gap_s: float, events: EventPolicy | None = None) -> Media:
    """Store what preprocess found for a pending media and regroup its burst. Idempotent:
    the same model version classifying the same media twice (a retry after a lost
    response) adds no second observation. Applied to the record as it is when written, so a
    review or failure recorded meanwhile is kept."""
    media = await media_or_404(store, media_id)
    deployment = await store.get_deployment(media.deployment_id)
    if deployment is None:
        raise TrapNotFound(f"media {media_id} belongs to a trap that no longer exists")
    observation_id = uuid.uuid4().hex  # one id, however often the change below runs
    draft = _classified(media, body, deployment, observation_id=observation_id)
    neighbours = await _neighbours(store, deployment.id, [draft], sequence_gap_s)
    sequences = regroup([*neighbours, draft], sequence_gap_s)

    def classify(current: Media) -> Media:
        if any(o.method == "machine" and o.model == body.prediction.model for o in current.observations):
            return current
        classified = _classified(current, body, deployment, observation_id=observation_id)
        return classified.model_copy(update={"sequence_id": sequences[media_id]})

    stored = await store.update_media(
        media_id, classify,
        events=(lambda before, after: events.classification(deployment, before, after)) if events else None)
    if stored is None:
        raise MediaNotFound(f"no media {media_id}")
    await _store_sequences(store, neighbours, sequences)
    RECORDED.labels(stored.status.value, stored.group.value if stored.group else "").inc()
    return stored


async def record_failure(store: MetadataStore, media_id: str, body: FailureIn) -> Media:
    """A final failure marks the media failed; a transient one keeps it pending and
    counts the attempt (the retry worker backs off on ``attempts``). A media classified
    meanwhile stays classified. The attempt's lease ends."""

    def fail(current: Media) -> Media:
        if current.status is MediaStatus.CLASSIFIED:
            return current
        return current.model_copy(update={
            "status": MediaStatus.FAILED if body.final else MediaStatus.PENDING, "error": body.error,
            "attempts": current.attempts + 1, "updated_at": utc_now(), "lease_holder": None, "lease_until": None})

    stored = await store.update_media(media_id, fail)
    if stored is None:
        raise MediaNotFound(f"no media {media_id}")
    RECORDED.labels(stored.status.value, "").inc()
    return stored


def _human(group: Group, label: str | None, reviewer: str, observation_id: str) -> Observation:
    return Observation(id=observation_id, group=group, label=label, confidence=1.0, method="human",
                       classified_by=reviewer)


async def record_review(store: MetadataStore, media_id: str, body: Review, *,
                        events: EventPolicy | None = None) -> Media:
    """A human observation beside the machine ones; the current label becomes the human
    one. Two reviews at once both stay (each is added to the record as it is then)."""
    observation = _human(body.group, body.label, body.reviewer, uuid.uuid4().hex)
    stored = await store.update_media(
        media_id, lambda current: current.with_observation(observation),
        events=(lambda before, after: events.review(before, after, body.reviewer)) if events else None)
    if stored is None:
        raise MediaNotFound(f"no media {media_id}")
    RECORDED.labels("reviewed", body.group.value).inc()
    return stored


class _NotClassified(Exception):
    """Raised inside a change: a confirm with no machine label to confirm."""


async def _decide(store: MetadataStore, decision: ReviewDecision, reviewer: str,
                  events: EventPolicy | None) -> ReviewDecided:
    observation_id = uuid.uuid4().hex  # one id, however often the change below runs

    def decide(current: Media) -> Media:
        if decision.group is not None:  # a correction: a review exactly as record_review adds
            return current.with_observation(_human(decision.group, decision.label, reviewer, observation_id))
        machine = [o for o in current.observations if o.method == "machine"]
        if not machine:
            raise _NotClassified
        # A confirmation is the reviewer saying the machine's group and label, as a review would.
        return current.with_observation(_human(machine[-1].group, machine[-1].label, reviewer, observation_id))

    try:
        # Each decision is a review like any other: announced as media.reviewed with its write.
        stored = await store.update_media(
            decision.media_id, decide,
            events=(lambda before, after: events.review(before, after, reviewer)) if events else None)
    except _NotClassified:
        return ReviewDecided(media_id=decision.media_id, status="not_classified")
    if stored is None:
        return ReviewDecided(media_id=decision.media_id, status="not_found")
    RECORDED.labels("reviewed", stored.group.value if stored.group else "").inc()
    return ReviewDecided(media_id=decision.media_id, status="recorded", observation_id=observation_id, media=stored)


async def record_decisions(store: MetadataStore, body: ReviewDecisions, *, concurrency: int,
                           events: EventPolicy | None = None) -> ReviewDecisionResults:
    """A bulk review (a whole burst, a selection): one human observation per media, each
    written as ``record_review`` writes one; every item answers for itself."""
    limiter = asyncio.Semaphore(concurrency)

    async def one(decision: ReviewDecision) -> ReviewDecided:
        async with limiter:
            return await _decide(store, decision, body.reviewer, events)

    return ReviewDecisionResults(items=list(await asyncio.gather(*(one(d) for d in body.items))))


async def undo_reviews(store: MetadataStore, body: ReviewUndo, *, concurrency: int) -> ReviewUndoResults:
    """Take back reviews: each named human observation of this reviewer is removed, so the
    media's label is again the previous review's, or the machine's. Machine labels and other
    reviewers' observations are never removed (``not_found``)."""
    limiter = asyncio.Semaphore(concurrency)

    async def one(media_id: str, observation_id: str) -> ReviewUndone:
        found = False  # set by the run of ``undo`` whose write stood (it may run again after a conflict)

        def undo(current: Media) -> Media:
            nonlocal found
            found = any(o.id == observation_id and o.method == "human" and o.classified_by == body.reviewer
                        for o in current.observations)
            return current.without_observation(observation_id) if found else current

        async with limiter:
            stored = await store.update_media(media_id, undo)
        if stored is None or not found:
            return ReviewUndone(media_id=media_id, status="not_found")
        return ReviewUndone(media_id=media_id, status="undone", media=stored)

    return ReviewUndoResults(items=list(await asyncio.gather(*(one(i.media_id, i.observation_id)
                                                              for i in body.items))))


async def lease_pending(store: MetadataStore, media_id: str, body: LeaseIn) -> Media:
    """Give ``body.holder`` the pending media for ``body.duration_s``, unless another
    holder's lease is still running (409 ``leased``) or the media is no longer pending
    (409 ``not_pending``): of two gateway replicas retrying it at once, one works on it."""
    now = utc_now()

    def lease(current: Media) -> Media:
        if current.status is not MediaStatus.PENDING:
            raise NotPending(f"media {media_id} is {current.status.value}")
        if current.lease_until and current.lease_until > now and current.lease_holder != body.holder:
            raise Leased(f"media {media_id} is being retried by another worker")
        return current.model_copy(update={"lease_holder": body.holder,
                                          "lease_until": now + timedelta(seconds=body.duration_s)})

    stored = await store.update_media(media_id, lease)
    if stored is None:
        raise MediaNotFound(f"no media {media_id}")
    return stored
