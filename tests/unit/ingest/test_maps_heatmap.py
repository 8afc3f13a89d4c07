"""The heatmap answers from the daily counters when it can, and the same as by COUNT."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ailurus_common.domain import Group
from ingest.maps import heatmap
from ingest.store.sqlite import SqliteMetadataStore
from tests.contract.factories import BASE_TIME, classified, make_deployment, make_media


class CountingStore(SqliteMetadataStore):
    count_queries = 0

    async def count_media(self, filters):  # noqa: ANN001 - the seam's own signature
        self.count_queries += 1
        return await super().count_media(filters)


@pytest.fixture
async def store(tmp_path: Path):
    store = CountingStore(tmp_path / "m.sqlite3")
    await store.start()
    for n in range(6):
        await store.create_deployment(make_deployment(f"trap-{n}", latitude=27.0 + n / 100))
        for k in range(n):
            await store.create_media(classified(make_media(f"trap-{n}", timestamp=BASE_TIME + timedelta(days=k)),
                                                Group.RED_PANDA))
    yield store
    await store.close()


def _day(offset: int) -> datetime:
    return datetime.combine(BASE_TIME.date() + timedelta(days=offset), datetime.min.time(), tzinfo=UTC)


@pytest.mark.parametrize("window", [(None, None), (_day(1), None), (_day(0), _day(2)), (None, _day(3))])
async def test_heatmap_whole_days_uses_counters_and_matches_counts(store: CountingStore, window) -> None:
    start, end = window
    from_counters = await heatmap(store, group=Group.RED_PANDA, start=start, end=end, bbox=None, min_confidence=None,
                                  concurrency=4)
    assert store.count_queries == 0
    by_count = await heatmap(store, group=Group.RED_PANDA, start=start, end=end, bbox=None, min_confidence=0.0,
                             concurrency=4)
    assert store.count_queries == 6  # one per trap: the confidence filter needs the records
    assert from_counters == by_count
    assert from_counters.points  # the fixture has sightings in every window above


async def test_heatmap_partial_day_window_counts_exactly(store: CountingStore) -> None:
    start = _day(1) + timedelta(hours=BASE_TIME.hour, minutes=BASE_TIME.minute, seconds=1)
    result = await heatmap(store, group=Group.RED_PANDA, start=start, end=None, bbox=None, min_confidence=None,
                           concurrency=4)
    assert store.count_queries == 6
    # Frames at BASE_TIME + k days with k >= 2 only (the day-1 frame is before ``start``).
    assert sum(p[2] for p in result.points) == sum(max(0, n - 2) for n in range(6))
