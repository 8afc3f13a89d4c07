"""``/api/v1/review-queue``: the queue of unreviewed bursts (ingest orders it), bulk
decisions and their undo. Only signed-in reviewers and admins: the queue exists to put
possible sensitive sightings first, which no coarse caller may see."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ailurus_common.auth import Role
from ailurus_common.contracts.ingest import ReviewDecisions, ReviewDecisionsIn, ReviewUndo, ReviewUndoIn
from ailurus_common.domain import Group
from ailurus_common.records import TRAP_ID_PATTERN
from gateway.api.deps import IngestDep, SettingsDep, UserDep, ViewDep
from gateway.auth import require
from gateway.errors import ReviewRestricted
from gateway.schemas import ReviewDecisionsOut, ReviewQueueOut, ReviewUndoOut
from gateway.views import ExactView

router = APIRouter(prefix="/review-queue", tags=["reviews"], dependencies=[Depends(require(Role.REVIEWER))])


async def exact_view(view: ViewDep) -> ExactView:
    """The caller's exact view; 403 ``review_restricted`` for a coarse one (a partner's app token)."""
    if not isinstance(view, ExactView):
        raise ReviewRestricted("the review queue shows possible sensitive sightings: signed-in reviewers and "
                               "admins only")
    return view


ExactDep = Annotated[ExactView, Depends(exact_view)]


@router.get("", response_model=ReviewQueueOut)
async def get_review_queue(
    ingest: IngestDep, view: ExactDep, settings: SettingsDep,
    trap_id: Annotated[str | None, Query(pattern=TRAP_ID_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=50, description="Bursts per page.")] = 10,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> ReviewQueueOut:
    """Unreviewed bursts, each with its frames: possible sightings of a sensitive group first
    (anywhere in a frame's top-k above a low score), then low confidence, then the rest; with
    the counts left."""
    page = await ingest.review_queue(sensitive_groups=[Group(g) for g in settings.privacy_sensitive_groups],
                                     trap_id=trap_id, limit=limit, cursor=cursor)
    return view.review_queue(page)


@router.post("/decisions", response_model=ReviewDecisionsOut)
async def post_decisions(body: ReviewDecisionsIn, ingest: IngestDep, view: ExactDep,
                         user: UserDep) -> ReviewDecisionsOut:
    """Confirm (no group) or correct (a group, a label) a whole burst or a selection at once:
    each becomes a human observation, exactly as ``POST /media/{id}/review`` adds one."""
    results = await ingest.review_decisions(ReviewDecisions(items=body.items, reviewer=user))
    return view.review_decisions(results)


@router.post("/undo", response_model=ReviewUndoOut)
async def post_undo(body: ReviewUndoIn, ingest: IngestDep, view: ExactDep, user: UserDep) -> ReviewUndoOut:
    """Take back your own reviews (by the ``observation_id`` a decision answered): the previous
    review's label is current again, or the machine's."""
    results = await ingest.undo_reviews(ReviewUndo(items=body.items, reviewer=user))
    return view.review_undo(results)
