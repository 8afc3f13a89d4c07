"""``POST /api/v1/traps/{trap_id}/field-check``: before a phone sends its photos, are they
near the chosen trap and inside its active period?

Privacy first: the answer is yes/no per photo and, only for a far one, the distance in whole
km, computed from no more of the trap's position than the caller may see. For reviewers and
admins that is the exact position (far: beyond ``GATEWAY_FIELD_CHECK_DISTANCE_M``). For every
coarse caller (uploaders, partner tokens) it is the trap's grid cell: far means "not in the
trap's cell", the distance is to the cell's centre. Were the exact position used for them, a
patient caller could probe points around the 1 km circle and pin the trap down. The photo's
GPS comes from the caller's own browser and is not kept.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path

from ailurus_common.auth import Role
from ailurus_common.geo import haversine_m
from ailurus_common.records import TRAP_ID_PATTERN, Deployment
from gateway.api.deps import IngestDep, SettingsDep, ViewDep
from gateway.auth import require
from gateway.schemas import FieldCheckPoint, FieldCheckRequest, FieldCheckResponse, FieldCheckResult
from gateway.views import CoarseView, View

router = APIRouter(tags=["images"], dependencies=[Depends(require(Role.UPLOADER))])


def _true_time(taken_at: datetime, trap: Deployment) -> datetime:
    """The camera's time as UTC: a time without offset is the trap's wall time (as ingest
    reads EXIF), corrected by the trap's clock offset."""
    if taken_at.tzinfo is None:
        taken_at = taken_at.replace(tzinfo=ZoneInfo(trap.timezone))
    return (taken_at + timedelta(seconds=trap.clock_offset_s)).astimezone(UTC)


def _outside(point: FieldCheckPoint, trap: Deployment) -> bool | None:
    if point.taken_at is None or not (trap.start or trap.end):
        return None
    moment = _true_time(point.taken_at, trap)
    return bool((trap.start and moment < trap.start) or (trap.end and moment > trap.end))


def check_point(point: FieldCheckPoint, trap: Deployment, distance_m: float, view: View) -> FieldCheckResult:
    """One photo against the trap at the caller's precision (see the module docstring)."""
    far = distance_km = None
    if point.latitude is not None and point.longitude is not None:
        if isinstance(view, CoarseView):
            cell = view.policy.snap(trap.latitude, trap.longitude)
            far = view.policy.snap(point.latitude, point.longitude) != cell
            metres = haversine_m(point.latitude, point.longitude, *cell)
        else:
            metres = haversine_m(point.latitude, point.longitude, trap.latitude, trap.longitude)
            far = metres > distance_m
        distance_km = max(1, round(metres / 1000)) if far else None
    return FieldCheckResult(far=far, distance_km=distance_km, outside_active_period=_outside(point, trap))


@router.post("/traps/{trap_id}/field-check", response_model=FieldCheckResponse)
async def field_check(body: FieldCheckRequest, ingest: IngestDep, settings: SettingsDep, view: ViewDep,
                      trap_id: str = Path(pattern=TRAP_ID_PATTERN)) -> FieldCheckResponse:
    """Each photo's place and time against the trap: far (beyond ``distance_m``, with the
    distance in whole km) and outside the trap's active period. No positions in the answer."""
    trap = await ingest.get_trap(trap_id)
    limit_m = settings.field_check_distance_m
    basis = "cell" if isinstance(view, CoarseView) else "exact"
    return FieldCheckResponse(distance_m=limit_m, basis=basis,
                              results=[check_point(p, trap, limit_m, view) for p in body.points])
