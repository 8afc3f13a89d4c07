"""``/api/v1/map``: traps as GeoJSON and sighting heatmaps (computed by ingest)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ailurus_common.auth import Role
from ailurus_common.domain import Group
from gateway.api.deps import IngestDep, PrivacyDep
from gateway.auth import require

router = APIRouter(prefix="/map", tags=["map"])
From = Annotated[datetime | None, Query(alias="from")]
To = Annotated[datetime | None, Query(alias="to")]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@router.get("/traps", dependencies=[Depends(require(Role.VIEWER))])
async def map_traps(ingest: IngestDep, privacy: PrivacyDep, start: From = None, end: To = None,
                    group: Group | None = None) -> dict:
    collection = await ingest.call("GET", "/v1/map/traps", params={"from": _iso(start), "to": _iso(end),
                                                                   "group": group})
    return privacy.trap_collection(collection) if privacy else collection


@router.get("/heatmap", dependencies=[Depends(require(Role.VIEWER))])
async def map_heatmap(ingest: IngestDep, privacy: PrivacyDep, group: Group = Group.RED_PANDA, start: From = None,
                      end: To = None,
                      bbox: Annotated[str | None, Query(max_length=100)] = None,
                      min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None) -> dict:
    if privacy:
        bbox = privacy.bbox(bbox)
    params = {"group": group, "from": _iso(start), "to": _iso(end), "bbox": bbox, "min_confidence": min_confidence}
    heat = await ingest.call("GET", "/v1/map/heatmap", params=params)
    return privacy.heatmap(heat) if privacy else {**heat, "precision": "exact"}
