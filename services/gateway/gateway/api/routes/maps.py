"""``/api/v1/map``: traps as GeoJSON and sighting heatmaps (computed by ingest)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ailurus_common.auth import Role
from ailurus_common.domain import Group
from ailurus_common.records import Instant
from gateway.api.deps import IngestDep, ViewDep
from gateway.auth import require
from gateway.errors import InvalidQuery
from gateway.schemas import HeatmapOut, TrapMapCoarse, TrapMapExact

router = APIRouter(prefix="/map", tags=["map"])
_DEGREES = r"-?\d{1,3}(\.\d{1,12})?"
BBOX_PATTERN = rf"^{_DEGREES},{_DEGREES},{_DEGREES},{_DEGREES}$"
From = Annotated[Instant | None, Query(alias="from")]
To = Annotated[Instant | None, Query(alias="to")]


@router.get("/traps", response_model=TrapMapExact | TrapMapCoarse, dependencies=[Depends(require(Role.VIEWER))])
async def map_traps(ingest: IngestDep, view: ViewDep, start: From = None, end: To = None,
                    group: Group | None = None) -> TrapMapExact | TrapMapCoarse:
    return view.trap_map(await ingest.map_traps(start=start, end=end, group=group))


@router.get("/heatmap", response_model=HeatmapOut, dependencies=[Depends(require(Role.VIEWER))])
async def map_heatmap(ingest: IngestDep, view: ViewDep, group: Group = Group.RED_PANDA, start: From = None,
                      end: To = None,
                      bbox: Annotated[str | None, Query(max_length=100, pattern=BBOX_PATTERN, description=(
                          "min_lon,min_lat,max_lon,max_lat in degrees (GeoJSON order); out of range or "
                          "min after max is a 400 invalid_query"))] = None,
                      min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None) -> HeatmapOut:
    """Sightings per trap (exact callers) or per grid cell. For coarse callers a sensitive
    group's heat is built from whole (cell, calendar month) figures, each shown only with
    the minimum count: the window widens to whole months and no confidence filter applies,
    so no pair of queries can be differenced below a cell, a month or the minimum."""
    if view.monthly(group):
        if bbox is not None and view.policy.cell_box(bbox) is None:
            raise InvalidQuery("bbox must be min_lon,min_lat,max_lon,max_lat, in range, min before max")
        if start and end and start >= end:
            raise InvalidQuery("'from' must be before 'to'")
        from_month, to_month = view.months(start, end)
        heat = await ingest.monthly_heatmap(group=group, from_month=from_month, to_month=to_month)
        return view.monthly_heatmap(heat, bbox)
    heat = await ingest.heatmap(group=group, start=start, end=end, bbox=view.bbox(bbox), min_confidence=min_confidence)
    return view.heatmap(heat)
