"""``GET /api/v1/analytics`` (computed by ingest)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ailurus_common.auth import Role
from ailurus_common.contracts.ingest import Analytics
from ailurus_common.records import TRAP_ID_PATTERN, Instant
from gateway.api.deps import IngestDep, ViewDep
from gateway.auth import require

router = APIRouter(tags=["analytics"])


@router.get("/analytics", response_model=Analytics, dependencies=[Depends(require(Role.VIEWER))])
async def get_analytics(ingest: IngestDep, view: ViewDep,
                        trap_id: Annotated[str | None, Query(pattern=TRAP_ID_PATTERN)] = None,
                        start: Annotated[Instant | None, Query(alias="from")] = None,
                        end: Annotated[Instant | None, Query(alias="to")] = None) -> Analytics:
    """Images per group per day and per trap, activity by hour of day, confidence
    histogram, and the share of machine labels reviewers confirmed or corrected per model.
    It names no position; for coarse callers every figure is computed without sensitive
    groups (they see those only on the heatmap, per cell and month)."""
    analytics = await ingest.analytics(trap_id=trap_id, start=start, end=end, exclude_groups=view.hidden_groups)
    return view.analytics(analytics)
