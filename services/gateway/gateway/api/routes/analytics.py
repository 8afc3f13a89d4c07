"""``GET /api/v1/analytics`` (computed by ingest)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ailurus_common.auth import Role
from ailurus_common.records import TRAP_ID_PATTERN
from gateway.api.deps import IngestDep
from gateway.auth import require

router = APIRouter(tags=["analytics"])


@router.get("/analytics", dependencies=[Depends(require(Role.VIEWER))])
async def get_analytics(ingest: IngestDep, trap_id: Annotated[str | None, Query(pattern=TRAP_ID_PATTERN)] = None,
                        start: Annotated[datetime | None, Query(alias="from")] = None,
                        end: Annotated[datetime | None, Query(alias="to")] = None) -> dict:
    """Images per group per day and per trap, activity by hour of day, confidence
    histogram, and the share of machine labels reviewers confirmed or corrected per model."""
    params = {"trap_id": trap_id, "from": start.isoformat() if start else None, "to": end.isoformat() if end else None}
    return await ingest.call("GET", "/v1/analytics", params=params)
