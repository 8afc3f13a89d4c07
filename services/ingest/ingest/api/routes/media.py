"""Media records: later classification results, failures, reviews, listing, deletion."""

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response

from ailurus_common.contracts.ingest import (
    ChangePage,
    Classification,
    DeletedMedia,
    FailureIn,
    LeaseIn,
    MediaPage,
    PendingCount,
    Review,
)
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.records import Media, MediaFilter, utc_now
from ingest.api.deps import EventsDep, SettingsDep, StoreDep
from ingest.errors import InvalidQuery, MediaNotFound
from ingest.recording import lease_pending, media_or_404, record_classification, record_failure, record_review

router = APIRouter(prefix="/v1", tags=["media"])


@router.get("/media/{media_id}", response_model=Media)
async def get_media(media_id: str, store: StoreDep) -> Media:
    return await media_or_404(store, media_id)


@router.delete("/media/{media_id}", status_code=204)
async def delete_media(media_id: str, store: StoreDep) -> Response:
    if not await store.delete_media(media_id):
        raise MediaNotFound(f"no media {media_id}")
    return Response(status_code=204)


@router.get("/changes", response_model=ChangePage)
async def list_changes(
    store: StoreDep, settings: SettingsDep, cursor: str | None = None, limit: Annotated[int, Query(ge=1)] = 100,
    exclude_group: Annotated[list[Group], Query(description="Never read media currently in these groups.")] = [],  # noqa: B006
    exclude_pending: bool = False,
) -> ChangePage:
    """The change feed: media created or changed after ``cursor``, in write order."""
    if limit > settings.max_page_size:
        raise InvalidQuery(f"limit must be at most {settings.max_page_size}")
    changes, next_cursor = await store.list_changes(after=cursor, limit=limit, exclude_groups=exclude_group,
                                                  exclude_pending=exclude_pending)
    return ChangePage(items=[c for c in changes if isinstance(c, Media)],
                      deleted=[c for c in changes if isinstance(c, DeletedMedia)], cursor=next_cursor)


@router.get("/media", response_model=MediaPage)
async def list_media(
    store: StoreDep, settings: SettingsDep,
    trap_id: str | None = None, group: Group | None = None, label: str | None = None,
    status: MediaStatus | None = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
    limit: Annotated[int, Query(ge=1)] = 50, cursor: str | None = None,
    exclude_group: Annotated[list[Group], Query(description="Leave out media currently in these groups.")] = [],  # noqa: B006
    exclude_pending: bool = False,
) -> MediaPage:
    if limit > settings.max_page_size:
        raise InvalidQuery(f"limit must be at most {settings.max_page_size}")
    if start and end and start >= end:
        raise InvalidQuery("'from' must be before 'to'")
    filters = MediaFilter(deployment_id=trap_id, group=group, label=label, status=status, start=start, end=end,
                          min_confidence=min_confidence, exclude_groups=exclude_group,
                          exclude_pending=exclude_pending)
    items, next_cursor = await store.list_media(filters, limit=limit, cursor=cursor)
    return MediaPage(items=items, next_cursor=next_cursor)


@router.get("/pending", response_model=MediaPage)
async def list_pending(store: StoreDep, older_than_s: Annotated[float, Query(ge=0)] = 30,
                       limit: Annotated[int, Query(ge=1, le=500)] = 50) -> MediaPage:
    """Pending media untouched for ``older_than_s``: the retry worker's queue."""
    items = await store.list_pending(updated_before=utc_now() - timedelta(seconds=older_than_s), limit=limit)
    return MediaPage(items=items, next_cursor=None)


@router.get("/pending/count", response_model=PendingCount)
async def count_pending(store: StoreDep) -> PendingCount:
    """How many media are pending in all (the retry worker's backlog gauge)."""
    return PendingCount(pending=await store.count_media(MediaFilter(status=MediaStatus.PENDING)))


@router.put("/media/{media_id}/classification", response_model=Media)
async def put_classification(media_id: str, body: Classification, store: StoreDep, settings: SettingsDep,
                             events: EventsDep) -> Media:
    return await record_classification(store, media_id, body, sequence_gap_s=settings.sequence_gap_s, events=events)


@router.put("/media/{media_id}/failure", response_model=Media)
async def put_failure(media_id: str, body: FailureIn, store: StoreDep) -> Media:
    return await record_failure(store, media_id, body)


@router.post("/media/{media_id}/lease", response_model=Media)
async def post_lease(media_id: str, body: LeaseIn, store: StoreDep) -> Media:
    """Hold a pending media for a retry; 409 ``leased`` while another worker holds it."""
    return await lease_pending(store, media_id, body)


@router.post("/media/{media_id}/review", response_model=Media, status_code=201)
async def post_review(media_id: str, body: Review, store: StoreDep, events: EventsDep) -> Media:
    return await record_review(store, media_id, body, events=events)
