"""``POST /api/v1/traps/{trap_id}/field-check``: before a phone sends its photos, are they
near the chosen trap and inside its active period?

Privacy first: the answer is yes/no per photo and, only for a far one, the distance in whole
km. The trap's position is read here from ingest's record and never leaves; the photo's GPS
comes from the caller's own browser and is not kept.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path

from ailurus_common.auth import Role
from ailurus_common.geo import haversine_m
from ailurus_common.records import TRAP_ID_PATTERN, Deployment
from gateway.api.deps import IngestDep, SettingsDep
from gateway.auth import require
from gateway.schemas import FieldCheckPoint, FieldCheckRequest, FieldCheckResponse, FieldCheckResult

router = APIRouter(tags=["images"], dependencies=[Depends(require(Role.UPLOADER))])


def _true_time(taken_at: datetime, trap: Deployment) -> datetime:
    """The camera's time as UTC: a time without offset is the trap's wall time (as ingest
    reads EXIF), corrected by the trap's clock offset."""
    if taken_at.tzinfo is None:
        taken_at = taken_at.replace(tzinfo=ZoneInfo(trap.timezone))
    return (taken_at + timedelta(seconds=trap.clock_offset_s)).astimezone(UTC)


def check_point(point: FieldCheckPoint, trap: Deployment, distance_m: float) -> FieldCheckResult:
    """One photo against the trap (yes/no answers, a whole-km distance only when far)."""
    far = distance_km = None
    if point.latitude is not None and point.longitude is not None:
        metres = haversine_m(point.latitude, point.longitude, trap.latitude, trap.longitude)
        far = metres > distance_m
        distance_km = max(1, round(metres / 1000)) if far else None
    outside = None
    if point.taken_at is not None and (trap.start or trap.end):
        moment = _true_time(point.taken_at, trap)
        outside = bool((trap.start and moment < trap.start) or (trap.end and moment > trap.end))
    return FieldCheckResult(far=far, distance_km=distance_km, outside_active_period=outside)


@router.post("/traps/{trap_id}/field-check", response_model=FieldCheckResponse)
async def field_check(body: FieldCheckRequest, ingest: IngestDep, settings: SettingsDep,
                      trap_id: str = Path(pattern=TRAP_ID_PATTERN)) -> FieldCheckResponse:
    """Each photo's place and time against the trap: far (beyond ``distance_m``, with the
    distance in whole km) and outside the trap's active period. No positions in the answer."""
    trap = await ingest.get_trap(trap_id)
    limit_m = settings.field_check_distance_m
    return FieldCheckResponse(distance_m=limit_m, results=[check_point(p, trap, limit_m) for p in body.points])
