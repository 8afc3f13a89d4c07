"""Analytics for the dashboard, from counters and COUNT queries only (never by reading
every record: there is no GROUP BY on Cosmos DB)."""

import asyncio
from datetime import datetime

from ailurus_common.contracts.ingest import Analytics, DayCounts, HistogramBin, ReviewShare, TrapCounts
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.records import MediaFilter
from ingest.store.base import MetadataStore

CONFIDENCE_BINS = 10


async def analytics(store: MetadataStore, *, trap_id: str | None, start: datetime | None, end: datetime | None,
                    concurrency: int, exclude_groups: list[Group] | None = None) -> Analytics:
    """Everything the analytics page draws; with ``exclude_groups``, every figure is
    computed as if those groups' media did not exist (not subtracted afterwards)."""
    limiter = asyncio.Semaphore(concurrency)
    excluded = list(exclude_groups or [])
    base = MediaFilter(deployment_id=trap_id, start=start, end=end, status=MediaStatus.CLASSIFIED,
                       exclude_groups=excluded)

    def kept(counts: dict[Group, int]) -> dict[Group, int]:
        return {g: n for g, n in counts.items() if g not in excluded}


    async def count(**filters) -> int:
        async with limiter:
            return await store.count_media(base.model_copy(update=filters))

    days = {"start_day": start.date() if start else None, "end_day": end.date() if end else None}
    per_day, per_trap, deployments, model_keys = await asyncio.gather(
        store.group_counts(deployment_id=trap_id, per="day", **days),
        store.group_counts(deployment_id=trap_id, **days), store.list_deployments(), store.model_keys())
    edges = [i / CONFIDENCE_BINS for i in range(CONFIDENCE_BINS + 1)]
    by_hour, histogram, shares = await asyncio.gather(
        asyncio.gather(*(count(capture_hour=h) for h in range(24))),
        asyncio.gather(*(count(min_confidence=lo, max_confidence=hi if hi < 1 else None)
                         for lo, hi in zip(edges, edges[1:], strict=False))),
        asyncio.gather(*(asyncio.gather(count(model_key=k), count(model_key=k, review_state="confirmed"),
                                        count(model_key=k, review_state="corrected")) for k in model_keys)),
    )
    names = {d.id: d.name for d in deployments}
    return Analytics(
        per_day=[DayCounts(day=day, counts=kept(c)) for day, c in sorted(per_day.items()) if kept(c)],
        per_trap=[TrapCounts(trap_id=t, name=names.get(t, t), counts=kept(c))
                  for t, c in per_trap.items() if kept(c)],
        by_hour=list(by_hour),
        confidence_histogram=[HistogramBin(lo=lo, hi=hi, count=n) for lo, hi, n in zip(edges, edges[1:], histogram,
                                                                                       strict=False)],
        review_share=[ReviewShare(model=k, machine=m, confirmed=c, corrected=x)
                      for k, (m, c, x) in zip(model_keys, shares, strict=True)],
    )
