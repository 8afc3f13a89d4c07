"""``/api/v1/map``: traps as GeoJSON and sighting heatmaps (computed by ingest)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from ailurus_common.domain import Group
from gateway.api.deps import IngestDep

router = APIRouter(prefix="/map", tags=["map"])
From = Annotated[datetime | None, Query(alias="from")]
To = Annotated[datetime | None, Query(alias="to")]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@router.get("/traps")
async def map_traps(ingest: IngestDep, start: From = None, end: To = None, group: Group | None = None) -> dict:
    return await ingest.call("GET", "/v1/map/traps", params={"from": _iso(start), "to": _iso(end), "group": group})


@router.get("/heatmap")
async def map_heatmap(ingest: IngestDep, group: Group = Group.RED_PANDA, start: From = None, end: To = None,
                      bbox: Annotated[str | None, Query(max_length=100)] = None,
                      min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None) -> dict:
    params = {"group": group, "from": _iso(start), "to": _iso(end), "bbox": bbox, "min_confidence": min_confidence}
    return await ingest.call("GET", "/v1/map/heatmap", params=params)
