"""Media records: create (pending), classification results, failures, reviews, listing."""

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response

from ailurus_common.contracts import ClassificationIn, FailureIn, MediaCreate, ReviewIn, SequenceRebuild
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.errors import AilurusError
from ailurus_common.records import Media, MediaFilter, utc_now
from ingest.api.deps import SettingsDep, StoreDep
from ingest.errors import InvalidQuery, MediaNotFound, TrapNotFound
from ingest.recording import media_or_404, rebuild_sequences, record_classification, record_failure, record_review
from ingest.schemas import MediaPage

router = APIRouter(prefix="/v1", tags=["media"])


class Duplicate(AilurusError):
    status_code = 409
    code = "duplicate"


@router.post("/media", status_code=201, response_model=Media)
async def create_media(body: MediaCreate, store: StoreDep) -> Media:
    if await store.get_deployment(body.deployment_id) is None:
        raise TrapNotFound(f"no trap {body.deployment_id}")
    now = utc_now()
    media = Media(**body.model_dump(), timestamp=now, uploaded_at=now, updated_at=now)
    if not await store.create_media(media):
        raise Duplicate(f"media {body.id} exists (same bytes uploaded before)")
    return media


@router.get("/media/{media_id}", response_model=Media)
async def get_media(media_id: str, store: StoreDep) -> Media:
    return await media_or_404(store, media_id)


@router.delete("/media/{media_id}", status_code=204)
async def delete_media(media_id: str, store: StoreDep) -> Response:
    if not await store.delete_media(media_id):
        raise MediaNotFound(f"no media {media_id}")
    return Response(status_code=204)


@router.get("/media", response_model=MediaPage)
async def list_media(
    store: StoreDep, settings: SettingsDep,
    trap_id: str | None = None, group: Group | None = None, label: str | None = None,
    status: MediaStatus | None = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
    limit: Annotated[int, Query(ge=1)] = 50, cursor: str | None = None,
) -> MediaPage:
    if limit > settings.max_page_size:
        raise InvalidQuery(f"limit must be at most {settings.max_page_size}")
    if start and end and start >= end:
        raise InvalidQuery("'from' must be before 'to'")
    filters = MediaFilter(deployment_id=trap_id, group=group, label=label, status=status, start=start, end=end,
                          min_confidence=min_confidence)
    items, next_cursor = await store.list_media(filters, limit=limit, cursor=cursor)
    return MediaPage(items=items, next_cursor=next_cursor)


@router.get("/pending", response_model=list[Media])
async def list_pending(store: StoreDep, older_than_s: Annotated[float, Query(ge=0)] = 30,
                       limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[Media]:
    """Pending media untouched for ``older_than_s``: the retry worker's queue."""
    return await store.list_pending(updated_before=utc_now() - timedelta(seconds=older_than_s), limit=limit)


@router.get("/pending/count")
async def count_pending(store: StoreDep) -> dict:
    """How many media are pending in all (the retry worker's backlog gauge)."""
    return {"pending": await store.count_media(MediaFilter(status=MediaStatus.PENDING))}


@router.put("/media/{media_id}/classification", response_model=Media)
async def put_classification(media_id: str, body: ClassificationIn, store: StoreDep) -> Media:
    return await record_classification(store, media_id, body)


@router.put("/media/{media_id}/failure", response_model=Media)
async def put_failure(media_id: str, body: FailureIn, store: StoreDep) -> Media:
    return await record_failure(store, media_id, body)


@router.post("/media/{media_id}/review", response_model=Media, status_code=201)
async def post_review(media_id: str, body: ReviewIn, store: StoreDep) -> Media:
    return await record_review(store, media_id, body)


@router.post("/sequences/rebuild")
async def post_sequences_rebuild(body: SequenceRebuild, store: StoreDep, settings: SettingsDep) -> dict:
    """Regroup burst sequences around media recorded concurrently (see ``rebuild_sequences``)."""
    return {"changed": await rebuild_sequences(store, body.media_ids, sequence_gap_s=settings.sequence_gap_s)}
