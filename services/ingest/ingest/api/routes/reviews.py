"""The review queue: unreviewed bursts in priority order, bulk decisions and their undo."""

from typing import Annotated

from fastapi import APIRouter, Query

from ailurus_common.contracts.ingest import (
    ReviewDecisionResults,
    ReviewDecisions,
    ReviewQueuePage,
    ReviewUndo,
    ReviewUndoResults,
)
from ailurus_common.domain import Group
from ailurus_common.records import TRAP_ID_PATTERN
from ingest.api.deps import EventsDep, SettingsDep, StoreDep
from ingest.errors import InvalidQuery
from ingest.recording import record_decisions, undo_reviews
from ingest.review_queue import QueueRules, review_queue

router = APIRouter(prefix="/v1/review-queue", tags=["reviews"])


@router.get("", response_model=ReviewQueuePage)
async def get_review_queue(
    store: StoreDep, settings: SettingsDep,
    sensitive_group: Annotated[list[Group], Query(description="Groups whose possible sightings come first.")] = [],  # noqa: B006
    trap_id: Annotated[str | None, Query(pattern=TRAP_ID_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, description="Bursts per page.")] = 20,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> ReviewQueuePage:
    if limit > settings.max_page_size:
        raise InvalidQuery(f"limit must be at most {settings.max_page_size}")
    rules = QueueRules(sensitive_groups=frozenset(sensitive_group),
                       possible_min_score=settings.review_possible_min_score,
                       low_confidence=settings.review_low_confidence)
    return await review_queue(store, rules, trap_id=trap_id, limit=limit, cursor=cursor,
                              scan_page_size=settings.review_scan_page_size,
                              max_burst_frames=settings.review_max_burst_frames)


@router.post("/decisions", response_model=ReviewDecisionResults)
async def post_decisions(body: ReviewDecisions, store: StoreDep, settings: SettingsDep,
                         events: EventsDep) -> ReviewDecisionResults:
    """Confirm or correct many media at once (a burst, a selection): one human observation each."""
    return await record_decisions(store, body, concurrency=settings.review_write_concurrency, events=events)


@router.post("/undo", response_model=ReviewUndoResults)
async def post_undo(body: ReviewUndo, store: StoreDep, settings: SettingsDep) -> ReviewUndoResults:
    """Remove the reviewer's own observations named: the previous label is current again."""
    return await undo_reviews(store, body, concurrency=settings.review_write_concurrency)
