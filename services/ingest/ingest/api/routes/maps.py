"""``/v1/map/traps`` (GeoJSON) and ``/v1/map/heatmap``."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from ailurus_common.contracts.ingest import MONTH_PATTERN, Heatmap, MonthlyHeatmap, TrapCollection
from ailurus_common.domain import Group
from ingest.api.deps import SettingsDep, StoreDep
from ingest.maps import heatmap, monthly_heatmap, trap_collection

router = APIRouter(prefix="/v1/map", tags=["map"])
From = Annotated[datetime | None, Query(alias="from")]
To = Annotated[datetime | None, Query(alias="to")]


@router.get("/traps", response_model=TrapCollection)
async def map_traps(store: StoreDep, start: From = None, end: To = None, group: Group | None = None) -> TrapCollection:
    return await trap_collection(store, start=start, end=end, group=group)


@router.get("/heatmap", response_model=Heatmap)
async def map_heatmap(store: StoreDep, settings: SettingsDep, group: Group = Group.RED_PANDA, start: From = None,
                      end: To = None, bbox: str | None = None,
                      min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None) -> Heatmap:
    return await heatmap(store, group=group, start=start, end=end, bbox=bbox, min_confidence=min_confidence,
                         concurrency=settings.query_concurrency)


@router.get("/heatmap/months", response_model=MonthlyHeatmap)
async def map_heatmap_months(store: StoreDep, group: Group = Group.RED_PANDA,
                             from_month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None,
                             to_month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None) -> MonthlyHeatmap:
    return await monthly_heatmap(store, group=group, from_month=from_month, to_month=to_month)
