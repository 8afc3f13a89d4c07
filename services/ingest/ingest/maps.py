"""Map queries: traps as GeoJSON with counts per group, heatmap points of sightings."""

import asyncio
import calendar
from datetime import UTC, date, datetime, time, timedelta

from ailurus_common.contracts.ingest import (
    Heatmap,
    MonthlyHeatmap,
    PointGeometry,
    TrapCollection,
    TrapFeature,
    TrapProperties,
)
from ailurus_common.domain import Group
from ailurus_common.records import Deployment, MediaFilter
from ingest.errors import InvalidQuery
from ingest.store.base import MetadataStore


def parse_bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    """``min_lon,min_lat,max_lon,max_lat`` (GeoJSON order)."""
    if bbox is None:
        return None
    try:
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in bbox.split(","))
    except ValueError:
        raise InvalidQuery("bbox must be min_lon,min_lat,max_lon,max_lat") from None
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise InvalidQuery("bbox out of range or min > max")
    return min_lon, min_lat, max_lon, max_lat


def _inside(d: Deployment, box: tuple[float, float, float, float] | None) -> bool:
    return box is None or (box[0] <= d.longitude <= box[2] and box[1] <= d.latitude <= box[3])


async def trap_collection(store: MetadataStore, *, start: datetime | None, end: datetime | None,
                          group: Group | None) -> TrapCollection:
    """Every trap as a Point; properties carry classified counts per group in the window
    (day resolution: the counts come from daily counters kept on write)."""
    deployments = await store.list_deployments()
    counts = await store.group_counts(start_day=start.date() if start else None, end_day=end.date() if end else None)
    features = []
    for d in deployments:
        per_group = {g: n for g, n in counts.get(d.id, {}).items() if n and (group is None or g == group)}
        features.append(TrapFeature(
            id=d.id, geometry=PointGeometry(coordinates=(d.longitude, d.latitude)),
            properties=TrapProperties(id=d.id, name=d.name, elevation_m=d.elevation_m, counts=per_group,
                                      total=sum(per_group.values())),
        ))
    return TrapCollection(features=features)


def _whole_days(start: datetime | None, end: datetime | None) -> bool:
    """True when the window is whole UTC days (or open), so the daily counters answer it."""
    return all(t is None or (t.utcoffset() is not None and t.astimezone(UTC).time() == time())
               for t in (start, end))


async def heatmap(store: MetadataStore, *, group: Group, start: datetime | None, end: datetime | None,
                  bbox: str | None, min_confidence: float | None, concurrency: int) -> Heatmap:
    """One weighted point per trap with matching sightings. Whole days without a
    confidence filter (the usual map) are one counters query whatever the number of traps;
    otherwise one COUNT per trap inside the box, ``concurrency`` at a time."""
    box = parse_bbox(bbox)
    deployments = [d for d in await store.list_deployments() if _inside(d, box)]
    if min_confidence is None and _whole_days(start, end):
        # ``end`` is exclusive; the counters' end day is inclusive.
        counts = await store.group_counts(start_day=start.astimezone(UTC).date() if start else None,
                                          end_day=(end.astimezone(UTC) - timedelta(days=1)).date() if end else None)
        weights = [counts.get(d.id, {}).get(group, 0) for d in deployments]
    else:
        limiter = asyncio.Semaphore(concurrency)

        async def count(d: Deployment) -> int:
            async with limiter:
                return await store.count_media(MediaFilter(deployment_id=d.id, group=group, start=start, end=end,
                                                           min_confidence=min_confidence, status="classified"))

        weights = await asyncio.gather(*(count(d) for d in deployments))
    return Heatmap(group=group,
                   points=[(d.latitude, d.longitude, n) for d, n in zip(deployments, weights, strict=True) if n])


def _month_days(first: str, last: str) -> tuple[date, date]:
    """The first day of month ``first`` and the last day of month ``last`` (``YYYY-MM``)."""
    year, month = (int(v) for v in last.split("-"))
    start = date.fromisoformat(f"{first}-01")
    end = date(year, month, calendar.monthrange(year, month)[1])
    if start > end:
        raise InvalidQuery("'from_month' must not be after 'to_month'")
    return start, end


async def monthly_heatmap(store: MetadataStore, *, group: Group, from_month: str | None,
                          to_month: str | None) -> MonthlyHeatmap:
    """Sightings of ``group`` per trap and month, months inclusive (one counters query)."""
    if (from_month is None) != (to_month is None):
        raise InvalidQuery("give both 'from_month' and 'to_month', or neither")
    start, end = _month_days(from_month, to_month) if from_month and to_month else (None, None)
    deployments = {d.id: d for d in await store.list_deployments()}
    counts = await store.group_counts(start_day=start, end_day=end, per="deployment_day")
    months: dict[tuple[str, str], int] = {}
    for key, per_group in counts.items():
        trap_id, day = key.rsplit("/", 1)
        if (n := per_group.get(group, 0)) and trap_id in deployments:
            months[(trap_id, day[:7])] = months.get((trap_id, day[:7]), 0) + n
    return MonthlyHeatmap(group=group, points=[
        (deployments[trap_id].latitude, deployments[trap_id].longitude, month, n)
        for (trap_id, month), n in sorted(months.items())])
