"""The ``MetadataStore`` contract: every test runs on SQLite (embedded default) and on Cosmos DB
(the local stand-in, through azure-cosmos aio with TLS verified against our own CA)."""

import asyncio
import base64
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest

from ailurus_common.contracts.events import EventType, OutboxEvent
from ailurus_common.contracts.ingest import DeletedMedia
from ailurus_common.contracts.jobs import Job, JobStatus, ShardReport
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.errors import ErrorCode
from ailurus_common.records import LabelScore, Media, MediaFilter, utc_now
from ailurus_common.storage.errors import Conflict, NotFound, StorageError
from ailurus_tools.standins import CosmosStandin, make_cert
from ingest.review_queue import QueueRules, review_queue
from ingest.store.base import MetadataStore, encode_cursor
from ingest.store.cosmos import CosmosMetadataStore
from ingest.store.sqlite import SqliteMetadataStore
from tests.contract.factories import (
    BASE_TIME,
    MODEL,
    at,
    classified,
    failed,
    make_deployment,
    make_media,
    make_observation,
)

DAY = BASE_TIME.date()


@pytest.fixture(params=["sqlite", "cosmos"])
async def metadata_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MetadataStore]:
    """A started, empty store: a new SQLite file, or a new container in the session's stand-in
    (the ``cosmos`` fixture of tests/conftest.py)."""
    if request.param == "sqlite":
        store = SqliteMetadataStore(tmp_path / "metadata.sqlite3")
        await store.start()
        try:
            yield store
        finally:
            await store.close()
        return
    async with fresh_cosmos_store(request.getfixturevalue("cosmos")) as store:
        yield store


@asynccontextmanager
async def fresh_cosmos_store(server: CosmosStandin) -> AsyncIterator[CosmosMetadataStore]:
    """A started store on new containers of the session's stand-in, deleted afterwards."""
    store = CosmosMetadataStore(server.endpoint, server.key, container=f"metadata-{uuid.uuid4().hex}",
                                index_container=f"index-{uuid.uuid4().hex}", ca_cert=server.cert_path,
                                endpoint_discovery=False)
    await store.start()
    try:
        yield store
    finally:
        assert store.database is not None
        await store.database.delete_container(store.container_name)
        await store.database.delete_container(store.index_container_name)
        await store.close()


async def create_all(store: MetadataStore, *media: Media) -> None:
    for item in media:
        assert await store.create_media(item)


async def overwrite(store: MetadataStore, media: Media) -> Media | None:
    """Replace the stored record with ``media``, whatever it is now."""
    return await store.update_media(media.id, lambda current: media)


async def list_all(store: MetadataStore, filters: MediaFilter, *, limit: int) -> list[list[Media]]:
    """Every page of a listing, following the cursors."""
    pages, cursor = [], None
    while True:
        page, cursor = await store.list_media(filters, limit=limit, cursor=cursor)
        pages.append(page)
        if cursor is None:
            return pages
        assert len(pages) < 100, "cursor never ends"


def newest_first(media: list[Media]) -> list[str]:
    return [item.id for item in sorted(media, key=lambda item: item.sort_key, reverse=True)]


# deployments -----------------------------------------------------------------------------
async def test_create_deployment_round_trips(metadata_store: MetadataStore) -> None:
    deployment = make_deployment(notes="under the big rhododendron", clock_offset_s=-3600.5, start=at(-60))
    await metadata_store.create_deployment(deployment)
    assert await metadata_store.get_deployment(deployment.id) == deployment
    assert await metadata_store.is_ready()


async def test_create_deployment_duplicate_raises_conflict(metadata_store: MetadataStore) -> None:
    deployment = make_deployment()
    await metadata_store.create_deployment(deployment)
    with pytest.raises(Conflict):
        await metadata_store.create_deployment(deployment.model_copy(update={"name": "other"}))
    assert (await metadata_store.get_deployment(deployment.id)).name == deployment.name


async def test_get_deployment_missing_returns_none(metadata_store: MetadataStore) -> None:
    assert await metadata_store.get_deployment("no-such-trap") is None


async def test_list_deployments_ordered_by_id(metadata_store: MetadataStore) -> None:
    assert await metadata_store.list_deployments() == []
    for deployment_id in ("trap-c", "trap-a", "trap-b"):
        await metadata_store.create_deployment(make_deployment(deployment_id))
    assert [d.id for d in await metadata_store.list_deployments()] == ["trap-a", "trap-b", "trap-c"]


async def test_replace_deployment_changes_fields(metadata_store: MetadataStore) -> None:
    deployment = make_deployment()
    await metadata_store.create_deployment(deployment)
    moved = deployment.model_copy(update={"name": "Moved trap", "latitude": 27.2, "notes": "moved uphill"})
    await metadata_store.replace_deployment(moved)
    assert await metadata_store.get_deployment(deployment.id) == moved


async def test_replace_deployment_missing_raises_not_found(metadata_store: MetadataStore) -> None:
    with pytest.raises(NotFound):
        await metadata_store.replace_deployment(make_deployment())


async def test_delete_deployment_removes_media_and_counts(metadata_store: MetadataStore) -> None:
    gone, kept = make_deployment(), make_deployment()
    for deployment in (gone, kept):
        await metadata_store.create_deployment(deployment)
    gone_media = [classified(make_media(gone.id, timestamp=at(i)), Group.RED_PANDA) for i in range(3)]
    kept_media = classified(make_media(kept.id), Group.BIRD)
    await create_all(metadata_store, *gone_media, kept_media)

    assert await metadata_store.delete_deployment(gone.id)

    assert await metadata_store.get_deployment(gone.id) is None
    assert all([await metadata_store.get_media(item.id) is None for item in gone_media])
    assert await metadata_store.count_media(MediaFilter(deployment_id=gone.id)) == 0
    assert await metadata_store.group_counts() == {kept.id: {Group.BIRD: 1}}
    assert await metadata_store.get_media(kept_media.id) == kept_media
    assert not await metadata_store.delete_deployment(gone.id)


# media -------------------------------------------------------------------------------------
async def test_create_media_round_trips(metadata_store: MetadataStore) -> None:
    media = classified(make_media("trap-a", timestamp=at(seconds=1.234567), sequence_id="seq-1"), Group.RED_PANDA,
                       label="lesser panda, red panda", probability=0.92)
    assert await metadata_store.create_media(media)
    assert await metadata_store.get_media(media.id) == media


async def test_create_media_duplicate_in_same_deployment_returns_false(metadata_store: MetadataStore) -> None:
    media = make_media("trap-a")
    assert await metadata_store.create_media(media)
    assert not await metadata_store.create_media(media.model_copy(update={"file_name": "again.jpg"}))
    assert (await metadata_store.get_media(media.id)).file_name == media.file_name
    assert await metadata_store.count_media(MediaFilter()) == 1


async def test_create_media_duplicate_in_other_deployment_returns_false(metadata_store: MetadataStore) -> None:
    media = make_media("trap-a")
    assert await metadata_store.create_media(media)
    assert not await metadata_store.create_media(media.model_copy(update={"deployment_id": "trap-b"}))
    assert (await metadata_store.get_media(media.id)).deployment_id == "trap-a"
    assert await metadata_store.count_media(MediaFilter(deployment_id="trap-b")) == 0
    assert await metadata_store.count_media(MediaFilter()) == 1


async def test_create_media_same_bytes_to_many_traps_at_once_stores_one(metadata_store: MetadataStore) -> None:
    for _ in range(5):
        media = classified(make_media("trap-a"), Group.MAMMAL)
        attempts = [media.model_copy(update={"deployment_id": f"trap-{n}"}) for n in range(4)]
        created = await asyncio.gather(*(metadata_store.create_media(m) for m in attempts))
        assert created.count(True) == 1
        winner = attempts[created.index(True)]
        assert await metadata_store.get_media(media.id) == winner
        assert await metadata_store.group_counts() == {winner.deployment_id: {Group.MAMMAL: 1}}
        assert await metadata_store.delete_media(media.id)


async def test_create_media_batch_same_bytes_to_two_traps_at_once_stores_each_once(
        metadata_store: MetadataStore) -> None:
    items = [make_media("trap-a") for _ in range(12)]
    results = await asyncio.gather(
        metadata_store.create_media_batch(items),
        metadata_store.create_media_batch([m.model_copy(update={"deployment_id": "trap-b"}) for m in items]))
    assert [a != b for a, b in zip(*results, strict=True)] == [True] * len(items)  # each id: exactly one trap
    assert await metadata_store.count_media(MediaFilter()) == len(items)


async def test_get_media_after_delete_and_upload_to_another_trap_finds_the_new_one(
        metadata_store: MetadataStore) -> None:
    media = make_media("trap-a")
    assert await metadata_store.create_media(media)
    assert await metadata_store.get_media(media.id) is not None  # now known (cached) in trap-a
    assert await metadata_store.delete_media(media.id)
    assert await metadata_store.get_media(media.id) is None
    moved = media.model_copy(update={"deployment_id": "trap-b"})
    assert await metadata_store.create_media(moved)
    assert await metadata_store.get_media(media.id) == moved
    assert (await metadata_store.update_media(media.id, lambda m: m.model_copy(update={"file_name": "b.jpg"})
                                              )).deployment_id == "trap-b"


async def test_create_media_classified_counts_at_once(metadata_store: MetadataStore) -> None:
    await create_all(metadata_store, classified(make_media("trap-a"), Group.MAMMAL), make_media("trap-a"))
    assert await metadata_store.group_counts() == {"trap-a": {Group.MAMMAL: 1}}


async def test_create_media_batch_reports_each_and_counts_once_per_item(metadata_store: MetadataStore) -> None:
    existing = make_media("trap-b")
    assert await metadata_store.create_media(existing)
    fresh = [classified(make_media("trap-a", timestamp=at(seconds=i)), Group.MAMMAL) for i in range(5)]
    again = fresh[0].model_copy(update={"file_name": "same-bytes-again.jpg"})
    created = await metadata_store.create_media_batch([*fresh, existing.model_copy(update={"deployment_id": "trap-a"}),
                                                       again, make_media("trap-a")])
    assert created == [True] * 5 + [False, False, True]
    assert await metadata_store.group_counts() == {"trap-a": {Group.MAMMAL: 5}}
    assert (await metadata_store.get_media(fresh[0].id)).file_name == fresh[0].file_name
    assert await metadata_store.count_media(MediaFilter(deployment_id="trap-a")) == 6


async def test_create_media_batch_of_many_days_counts_each_day(metadata_store: MetadataStore) -> None:
    frames = [classified(make_media("trap-a", timestamp=at(minutes=60 * 24 * d)), Group.BIRD) for d in range(3)]
    assert await metadata_store.create_media_batch(frames + [classified(make_media("trap-a"), Group.BIRD)]) == [True] * 4
    per_day = await metadata_store.group_counts(per="day")
    assert [c[Group.BIRD] for _, c in sorted(per_day.items())] == [2, 1, 1]


async def test_group_counts_per_deployment_day_keys_trap_and_day(metadata_store: MetadataStore) -> None:
    await create_all(metadata_store, classified(make_media("trap-a"), Group.RED_PANDA),
                     classified(make_media("trap-a", timestamp=at(minutes=60 * 24)), Group.RED_PANDA),
                     classified(make_media("trap-b"), Group.BIRD))
    next_day = (DAY + timedelta(days=1)).isoformat()
    assert await metadata_store.group_counts(per="deployment_day") == {
        f"trap-a/{DAY.isoformat()}": {Group.RED_PANDA: 1}, f"trap-a/{next_day}": {Group.RED_PANDA: 1},
        f"trap-b/{DAY.isoformat()}": {Group.BIRD: 1}}


async def test_exclude_groups_leaves_their_media_out_of_lists_and_counts(metadata_store: MetadataStore) -> None:
    """Pages are built without them (a page never comes back short or empty where one was)."""
    sightings = [classified(make_media("trap-a", timestamp=at(seconds=2 * i)), Group.RED_PANDA) for i in range(3)]
    others = [classified(make_media("trap-a", timestamp=at(seconds=2 * i + 1)), Group.BIRD) for i in range(3)]
    unlabelled = make_media("trap-a", timestamp=at(seconds=10))
    await create_all(metadata_store, *sightings, *others, unlabelled)
    hidden = MediaFilter(deployment_id="trap-a", exclude_groups=[Group.RED_PANDA])
    pages = await list_all(metadata_store, hidden, limit=2)
    assert [len(page) for page in pages] == [2, 2]
    assert {m.id for page in pages for m in page} == {m.id for m in [*others, unlabelled]}
    assert await metadata_store.count_media(hidden) == 4
    assert await metadata_store.count_media(hidden.model_copy(update={"group": Group.RED_PANDA})) == 0
    assert await metadata_store.count_media(MediaFilter(exclude_groups=[Group.RED_PANDA, Group.BIRD])) == 1


async def test_exclude_pending_leaves_unlabelled_media_out_of_lists_and_counts(metadata_store: MetadataStore) -> None:
    labelled = [classified(make_media("trap-a", timestamp=at(seconds=2 * i)), Group.BIRD) for i in range(3)]
    unlabelled = [make_media("trap-a", timestamp=at(seconds=2 * i + 1)) for i in range(3)]
    await create_all(metadata_store, *labelled, *unlabelled)
    shown = MediaFilter(deployment_id="trap-a", exclude_groups=[Group.RED_PANDA], exclude_pending=True)
    pages = await list_all(metadata_store, shown, limit=2)
    assert [len(page) for page in pages] == [2, 1]  # pages come back full: the gaps cannot be found
    assert {m.id for page in pages for m in page} == {m.id for m in labelled}
    assert await metadata_store.count_media(shown) == 3
    assert await metadata_store.count_media(shown.model_copy(update={"exclude_pending": False})) == 6


async def test_get_media_missing_returns_none(metadata_store: MetadataStore) -> None:
    assert await metadata_store.get_media("0" * 64) is None


async def test_update_media_missing_returns_none_and_never_moves_a_media(metadata_store: MetadataStore) -> None:
    media = make_media("trap-a")
    assert await metadata_store.update_media(media.id, lambda current: current) is None
    assert await metadata_store.create_media(media)
    with pytest.raises(ValueError):  # same id, another deployment: a media never moves
        await overwrite(metadata_store, media.model_copy(update={"deployment_id": "trap-b"}))
    assert await metadata_store.get_media(media.id) == media


async def test_update_media_concurrent_changes_are_all_kept(metadata_store: MetadataStore) -> None:
    """Each change is applied to the record as it then is: ten reviews at once, ten observations."""
    machine = classified(make_media("trap-a"), Group.MAMMAL)
    await create_all(metadata_store, machine)
    reviews = [make_observation(Group.RED_PANDA, method="human", label=f"review-{i}") for i in range(10)]
    await asyncio.gather(*(metadata_store.update_media(machine.id, lambda m, o=o: m.with_observation(o))
                           for o in reviews))
    stored = await metadata_store.get_media(machine.id)
    assert sorted(o.label for o in stored.observations if o.method == "human") == sorted(o.label for o in reviews)
    assert await metadata_store.group_counts() == {"trap-a": {Group.RED_PANDA: 1}}


async def test_update_media_unchanged_writes_nothing(metadata_store: MetadataStore) -> None:
    media = make_media("trap-a")
    await create_all(metadata_store, media)
    assert await metadata_store.update_media(media.id, lambda current: current) == media
    assert (await metadata_store.get_media(media.id)).updated_at == media.updated_at


async def test_update_media_refused_by_its_change_writes_nothing(metadata_store: MetadataStore) -> None:
    media = make_media("trap-a")
    await create_all(metadata_store, media)

    def refuse(current):
        raise LookupError("not now")

    with pytest.raises(LookupError):
        await metadata_store.update_media(media.id, refuse)
    assert await metadata_store.get_media(media.id) == media


async def test_update_media_classified_counts_group(metadata_store: MetadataStore) -> None:
    pending = make_media("trap-a")
    await create_all(metadata_store, pending, make_media("trap-b"))
    assert await metadata_store.group_counts() == {}

    done = classified(pending, Group.RED_PANDA)
    await overwrite(metadata_store, done)

    assert await metadata_store.get_media(pending.id) == done
    assert await metadata_store.group_counts() == {"trap-a": {Group.RED_PANDA: 1}}
    assert await metadata_store.group_counts(deployment_id="trap-b") == {}
    assert await metadata_store.group_counts(start_day=DAY, end_day=DAY) == {"trap-a": {Group.RED_PANDA: 1}}
    assert await metadata_store.group_counts(start_day=DAY + timedelta(days=1)) == {}


async def test_update_media_review_moves_count(metadata_store: MetadataStore) -> None:
    machine = classified(make_media("trap-a"), Group.MAMMAL, label="badger")
    await create_all(metadata_store, machine)

    reviewed = classified(machine, Group.RED_PANDA, method="human", label="red panda", probability=None)
    await overwrite(metadata_store, reviewed)

    assert await metadata_store.group_counts() == {"trap-a": {Group.RED_PANDA: 1}}
    stored = await metadata_store.get_media(machine.id)
    assert [o.method for o in stored.observations] == ["machine", "human"]  # the machine label stays
    assert (stored.group, stored.label) == (Group.RED_PANDA, "red panda")


async def test_update_media_failed_removes_count(metadata_store: MetadataStore) -> None:
    done = classified(make_media("trap-a"), Group.BIRD)
    await create_all(metadata_store, done)
    await overwrite(metadata_store, failed(done))
    assert await metadata_store.group_counts() == {}
    assert await metadata_store.count_media(MediaFilter(status=MediaStatus.FAILED)) == 1


async def test_update_media_same_state_twice_counts_once(metadata_store: MetadataStore) -> None:
    pending = make_media("trap-a")
    await create_all(metadata_store, pending)
    done = classified(pending, Group.BIRD)
    await overwrite(metadata_store, done)
    await overwrite(metadata_store, done.model_copy(update={"attempts": 2}))
    assert await metadata_store.group_counts() == {"trap-a": {Group.BIRD: 1}}


async def test_update_media_concurrently_keeps_exact_counts(metadata_store: MetadataStore) -> None:
    pending = make_media("trap-a")
    await create_all(metadata_store, pending)
    groups = [Group.RED_PANDA, Group.BIRD, Group.MAMMAL, Group.BLANK, Group.HUMAN, Group.RED_PANDA, Group.BIRD]
    versions = [classified(pending, group) for group in groups] + [failed(pending)] * 3

    for _ in range(2):  # from pending, then from whatever state the first round left
        await asyncio.gather(*(overwrite(metadata_store, version) for version in versions))
        final = await metadata_store.get_media(pending.id)
        expected = {"trap-a": {final.group: 1}} if final.status == MediaStatus.CLASSIFIED else {}
        assert await metadata_store.group_counts() == expected


async def test_update_media_concurrently_on_new_day_counts_all(metadata_store: MetadataStore) -> None:
    # Ten writers find the day's counter missing at the same time.
    media = [make_media("trap-a", timestamp=at(i)) for i in range(10)]
    await create_all(metadata_store, *media)
    await asyncio.gather(*(overwrite(metadata_store, classified(item, Group.BIRD)) for item in media))
    assert await metadata_store.group_counts() == {"trap-a": {Group.BIRD: 10}}


async def test_delete_media_classified_removes_record_and_count(metadata_store: MetadataStore) -> None:
    gone = classified(make_media("trap-a", timestamp=at(0)), Group.RED_PANDA)
    kept = classified(make_media("trap-a", timestamp=at(1)), Group.RED_PANDA)
    await create_all(metadata_store, gone, kept)
    assert await metadata_store.group_counts() == {"trap-a": {Group.RED_PANDA: 2}}

    assert await metadata_store.delete_media(gone.id)

    assert await metadata_store.get_media(gone.id) is None
    assert await metadata_store.group_counts() == {"trap-a": {Group.RED_PANDA: 1}}
    assert await metadata_store.group_counts(start_day=DAY, end_day=DAY) == {"trap-a": {Group.RED_PANDA: 1}}
    assert await metadata_store.list_media(MediaFilter(), limit=10) == ([kept], None)
    assert await metadata_store.count_media(MediaFilter(deployment_id="trap-a")) == 1
    assert not await metadata_store.delete_media(gone.id)
    assert await metadata_store.group_counts() == {"trap-a": {Group.RED_PANDA: 1}}


async def test_delete_media_last_classified_empties_counts(metadata_store: MetadataStore) -> None:
    media = classified(make_media("trap-a"), Group.BIRD)
    await create_all(metadata_store, media)
    assert await metadata_store.delete_media(media.id)
    assert await metadata_store.group_counts() == {}


async def test_delete_media_pending_leaves_counts(metadata_store: MetadataStore) -> None:
    pending = make_media("trap-a")
    await create_all(metadata_store, pending, classified(make_media("trap-a"), Group.MAMMAL))

    assert await metadata_store.delete_media(pending.id)

    assert await metadata_store.get_media(pending.id) is None
    assert await metadata_store.group_counts() == {"trap-a": {Group.MAMMAL: 1}}
    assert await metadata_store.count_media(MediaFilter(status=MediaStatus.PENDING)) == 0


async def test_delete_media_missing_returns_false(metadata_store: MetadataStore) -> None:
    assert not await metadata_store.delete_media("0" * 64)


async def test_create_media_after_delete_stores_it_again(metadata_store: MetadataStore) -> None:
    media = classified(make_media("trap-a"), Group.RED_PANDA)
    await create_all(metadata_store, media)
    assert await metadata_store.delete_media(media.id)

    again = media.model_copy(update={"deployment_id": "trap-b"})  # same bytes, uploaded at another trap
    assert await metadata_store.create_media(again)

    assert await metadata_store.get_media(media.id) == again
    assert await metadata_store.group_counts() == {"trap-b": {Group.RED_PANDA: 1}}
    assert await metadata_store.count_media(MediaFilter()) == 1


async def test_delete_media_concurrent_with_replace_and_delete_counts_once(metadata_store: MetadataStore) -> None:
    pending = make_media("trap-a")
    await create_all(metadata_store, pending, classified(make_media("trap-a"), Group.BIRD))
    versions = [classified(pending, group) for group in (Group.RED_PANDA, Group.MAMMAL, Group.BIRD)]

    results = await asyncio.gather(*(overwrite(metadata_store, version) for version in versions),
                                   *(metadata_store.delete_media(pending.id) for _ in range(4)),
                                   return_exceptions=True)

    replaced, deleted = results[:len(versions)], results[len(versions):]
    assert deleted.count(True) == 1 and deleted.count(False) == 3
    assert all(result is None or isinstance(result, Media) for result in replaced), replaced
    assert await metadata_store.get_media(pending.id) is None
    # Whatever state the replacements left, the delete took exactly that share back out.
    assert await metadata_store.group_counts() == {"trap-a": {Group.BIRD: 1}}


# aggregates -------------------------------------------------------------------------------
async def test_group_counts_filtered_by_deployment_and_days(metadata_store: MetadataStore) -> None:
    day = timedelta(days=1)
    await create_all(
        metadata_store,
        classified(make_media("trap-a", timestamp=BASE_TIME), Group.BIRD),
        classified(make_media("trap-a", timestamp=BASE_TIME + day), Group.BIRD),
        classified(make_media("trap-a", timestamp=BASE_TIME + 2 * day), Group.RED_PANDA),
        classified(make_media("trap-b", timestamp=BASE_TIME + day), Group.MAMMAL),
        make_media("trap-c", timestamp=BASE_TIME + day),  # pending: never counted
    )
    counts = metadata_store.group_counts
    assert await counts() == {"trap-a": {Group.BIRD: 2, Group.RED_PANDA: 1}, "trap-b": {Group.MAMMAL: 1}}
    assert await counts(deployment_id="trap-a") == {"trap-a": {Group.BIRD: 2, Group.RED_PANDA: 1}}
    assert await counts(start_day=DAY + day) == {"trap-a": {Group.BIRD: 1, Group.RED_PANDA: 1},
                                                 "trap-b": {Group.MAMMAL: 1}}
    assert await counts(start_day=DAY + day, end_day=DAY + day) == {"trap-a": {Group.BIRD: 1},
                                                                    "trap-b": {Group.MAMMAL: 1}}
    assert await counts(deployment_id="trap-b", end_day=DAY) == {}
    assert await counts(start_day=date(2030, 1, 1)) == {}


async def test_group_counts_use_utc_day(metadata_store: MetadataStore) -> None:
    late = at(11 * 60 + 59)  # 2024-05-01 23:59 UTC, 2024-05-02 05:44 in the trap's Kathmandu time
    await create_all(metadata_store, classified(make_media("trap-a", timestamp=late), Group.RED_PANDA),
                     classified(make_media("trap-a", timestamp=late + timedelta(minutes=2)), Group.RED_PANDA))
    assert await metadata_store.group_counts(end_day=DAY) == {"trap-a": {Group.RED_PANDA: 1}}
    assert await metadata_store.group_counts(start_day=DAY + timedelta(days=1)) == {"trap-a": {Group.RED_PANDA: 1}}


async def seed_mixed(store: MetadataStore) -> dict[str, Media]:
    """Six media over two traps, one hour apart, in every status."""
    media = {
        "a_panda": classified(make_media("trap-a", timestamp=at(0)), Group.RED_PANDA, label="lesser panda",
                              probability=0.95),
        "a_bird": classified(make_media("trap-a", timestamp=at(60)), Group.BIRD, label="jay", probability=0.6),
        "a_pending": make_media("trap-a", timestamp=at(120)),
        "b_panda": classified(make_media("trap-b", timestamp=at(180)), Group.RED_PANDA, label="lesser panda",
                              probability=0.7),
        "b_failed": failed(make_media("trap-b", timestamp=at(240))),
        "b_badger": classified(make_media("trap-b", timestamp=at(300)), Group.MAMMAL, label="badger",
                               probability=0.99),
    }
    await create_all(store, *media.values())
    return media


MIXED_FILTERS = [
    (MediaFilter(), ["a_panda", "a_bird", "a_pending", "b_panda", "b_failed", "b_badger"]),
    (MediaFilter(deployment_id="trap-a"), ["a_panda", "a_bird", "a_pending"]),
    (MediaFilter(deployment_id="trap-z"), []),
    (MediaFilter(group=Group.RED_PANDA), ["a_panda", "b_panda"]),
    (MediaFilter(label="lesser panda"), ["a_panda", "b_panda"]),
    (MediaFilter(label="lesser"), []),  # exact match only
    (MediaFilter(status=MediaStatus.PENDING), ["a_pending"]),
    (MediaFilter(status=MediaStatus.FAILED), ["b_failed"]),
    (MediaFilter(status=MediaStatus.CLASSIFIED), ["a_panda", "a_bird", "b_panda", "b_badger"]),
    (MediaFilter(start=at(60)), ["a_bird", "a_pending", "b_panda", "b_failed", "b_badger"]),  # inclusive
    (MediaFilter(end=at(180)), ["a_panda", "a_bird", "a_pending"]),  # exclusive
    (MediaFilter(start=at(60), end=at(180)), ["a_bird", "a_pending"]),
    (MediaFilter(start=at(59, seconds=59.999999), end=at(60, seconds=0.000001)), ["a_bird"]),
    (MediaFilter(min_confidence=0.7), ["a_panda", "b_panda", "b_badger"]),  # inclusive
    (MediaFilter(min_confidence=0.96), ["b_badger"]),
    (MediaFilter(deployment_id="trap-b", group=Group.RED_PANDA, min_confidence=0.5, status=MediaStatus.CLASSIFIED,
                 label="lesser panda", start=at(0), end=at(300)), ["b_panda"]),
]


async def test_count_media_applies_every_filter(metadata_store: MetadataStore) -> None:
    await seed_mixed(metadata_store)
    wrong = [(filters, expected, count) for filters, expected in MIXED_FILTERS
             if (count := await metadata_store.count_media(filters)) != len(expected)]
    assert wrong == []


async def test_list_media_applies_every_filter(metadata_store: MetadataStore) -> None:
    media = await seed_mixed(metadata_store)
    for filters, expected in MIXED_FILTERS:
        pages = await list_all(metadata_store, filters, limit=2)
        listed = [item.id for page in pages for item in page]
        assert listed == newest_first([media[name] for name in expected]), filters


async def test_list_media_pages_newest_first(metadata_store: MetadataStore) -> None:
    # Five share one timestamp: the id breaks the tie, so no page boundary loses or repeats one.
    media = [make_media("trap-a", timestamp=at(min(i, 20))) for i in range(25)]
    await create_all(metadata_store, *media)

    pages = await list_all(metadata_store, MediaFilter(), limit=10)

    assert [len(page) for page in pages] == [10, 10, 5]
    listed = [item.id for page in pages for item in page]
    assert listed == newest_first(media)
    assert len(set(listed)) == 25
    assert pages[0][0] == max(media, key=lambda item: item.sort_key)


async def test_list_media_exact_page_ends_without_cursor(metadata_store: MetadataStore) -> None:
    await create_all(metadata_store, *(make_media("trap-a", timestamp=at(i)) for i in range(20)))
    assert [len(page) for page in await list_all(metadata_store, MediaFilter(), limit=10)] == [10, 10]
    assert await metadata_store.list_media(MediaFilter(deployment_id="nobody"), limit=10) == ([], None)


async def test_list_media_pages_with_filters(metadata_store: MetadataStore) -> None:
    media = [classified(make_media(f"trap-{'ab'[i % 2]}", timestamp=at(i)), [Group.BIRD, Group.MAMMAL][i % 3 % 2])
             for i in range(25)]
    await create_all(metadata_store, *media)
    filters = MediaFilter(deployment_id="trap-a", group=Group.BIRD)
    expected = [item for item in media if item.deployment_id == "trap-a" and item.group == Group.BIRD]

    pages = await list_all(metadata_store, filters, limit=3)

    assert [item.id for page in pages for item in page] == newest_first(expected)
    assert all(len(page) == 3 for page in pages[:-1])


@pytest.mark.parametrize("cursor", [
    "not base64 !!",
    base64.urlsafe_b64encode(b"some other listing").decode(),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    "",
])
async def test_list_media_invalid_cursor_raises_400(metadata_store: MetadataStore, cursor: str) -> None:
    with pytest.raises(StorageError) as error:
        await metadata_store.list_media(MediaFilter(), limit=10, cursor=cursor)
    assert (error.value.status_code, error.value.code) == (400, "invalid_cursor")


async def test_list_pending_returns_stale_pending_only(metadata_store: MetadataStore) -> None:
    now = utc_now()
    stale = [make_media("trap-a", updated_at=now - timedelta(hours=4 - i)) for i in range(3)]
    await create_all(
        metadata_store, *stale,
        make_media("trap-b", updated_at=now - timedelta(minutes=5)),  # still being worked on
        failed(make_media("trap-a", updated_at=now - timedelta(hours=5))),
        classified(make_media("trap-a", updated_at=now - timedelta(hours=5)), Group.BIRD),
    )
    before = now - timedelta(hours=1)
    assert [m.id for m in await metadata_store.list_pending(updated_before=before, limit=10)] == [m.id for m in stale]
    assert len(await metadata_store.list_pending(updated_before=before, limit=2)) == 2
    assert len(await metadata_store.list_pending(updated_before=now, limit=10)) == 4


async def test_frames_near_returns_classified_window_of_one_deployment(metadata_store: MetadataStore) -> None:
    inside = [classified(make_media("trap-a", timestamp=at(seconds=s), sequence_id=f"seq-{s}"), Group.MAMMAL)
              for s in (0, 30, 60)]
    await create_all(
        metadata_store, *inside,
        make_media("trap-a", timestamp=at(seconds=20)),  # pending: no burst yet
        classified(make_media("trap-a", timestamp=at(seconds=-0.000001)), Group.MAMMAL),
        classified(make_media("trap-a", timestamp=at(seconds=60.000001)), Group.MAMMAL),
        classified(make_media("trap-a", timestamp=at(10)), Group.MAMMAL),
        classified(make_media("trap-b", timestamp=at(seconds=30)), Group.MAMMAL),
    )
    near = await metadata_store.frames_near("trap-a", at(), at(seconds=60))
    # both ends inclusive, oldest first, exact times and burst names
    assert near == [(m.id, m.timestamp, m.sequence_id) for m in inside]


async def test_count_media_analytics_filters(metadata_store: MetadataStore) -> None:
    deployment = make_deployment()
    await metadata_store.create_deployment(deployment)
    plain = classified(make_media(deployment.id, capture_hour=5), Group.MAMMAL, probability=0.35)
    confirmed = classified(classified(make_media(deployment.id, capture_hour=5), Group.BIRD, probability=0.75),
                           Group.BIRD, method="human", label="bird")
    corrected = classified(classified(make_media(deployment.id, capture_hour=22), Group.MAMMAL),
                           Group.RED_PANDA, method="human")
    for media in (plain, confirmed, corrected):
        assert await metadata_store.create_media(media)
    assert confirmed.review_state == "confirmed" and corrected.review_state == "corrected"
    key = f"{MODEL.name}:{MODEL.version}"
    count = metadata_store.count_media
    assert await count(MediaFilter(deployment_id=deployment.id, capture_hour=5)) == 2
    assert await count(MediaFilter(deployment_id=deployment.id, capture_hour=23)) == 0
    assert await count(MediaFilter(deployment_id=deployment.id, model_key=key)) == 3
    assert await count(MediaFilter(deployment_id=deployment.id, review_state="confirmed")) == 1
    assert await count(MediaFilter(deployment_id=deployment.id, review_state="corrected")) == 1
    assert await count(MediaFilter(deployment_id=deployment.id, min_confidence=0.3, max_confidence=0.5)) == 1
    assert await metadata_store.model_keys() == [key]


async def test_group_counts_per_day(metadata_store: MetadataStore) -> None:
    deployment = make_deployment()
    await metadata_store.create_deployment(deployment)
    for minutes, group in ((0, Group.BIRD), (5, Group.BIRD), (24 * 60, Group.MAMMAL)):
        assert await metadata_store.create_media(classified(make_media(deployment.id, timestamp=at(minutes)), group))
    per_day = await metadata_store.group_counts(deployment_id=deployment.id, per="day")
    assert per_day == {"2024-05-01": {Group.BIRD: 2}, "2024-05-02": {Group.MAMMAL: 1}}


# Cosmos only ---------------------------------------------------------------------------------
async def test_cosmos_store_refuses_untrusted_certificate(cosmos: CosmosStandin, tmp_path: Path) -> None:
    # azure-cosmos skips TLS verification for 127.0.0.1 unless the store pins the CA itself.
    store = CosmosMetadataStore(cosmos.endpoint, cosmos.key, ca_cert=make_cert(tmp_path / "other-ca"),
                                endpoint_discovery=False)
    with pytest.raises(StorageError, match="CERTIFICATE_VERIFY_FAILED"):
        await store.start()
    assert not await store.is_ready()


async def test_get_media_sees_own_write_under_concurrent_reads(metadata_store: MetadataStore) -> None:
    """Read-your-writes while other reads overlap (SQLite once kept a stale snapshot open)."""
    deployment = make_deployment()
    await metadata_store.create_deployment(deployment)
    stop = asyncio.Event()

    async def noise() -> None:
        while not stop.is_set():
            await metadata_store.list_deployments()

    readers = [asyncio.create_task(noise()) for _ in range(6)]
    try:
        misses = 0
        for _ in range(40):
            media = make_media(deployment.id)
            assert await metadata_store.create_media(media)
            misses += await metadata_store.get_media(media.id) is None
    finally:
        stop.set()
        await asyncio.gather(*readers)
    assert misses == 0


# Cosmos only: the media index's claims ------------------------------------------------------
@pytest.fixture
async def cosmos_store(cosmos: CosmosStandin) -> AsyncIterator[CosmosMetadataStore]:
    async with fresh_cosmos_store(cosmos) as store:
        yield store


async def _orphan_claim(store: CosmosMetadataStore, media: Media, *, age_s: float) -> None:
    """The claim a creator leaves when it dies between its two writes."""
    assert store._index is not None
    await store._index.create_item({"id": media.id, "deployment_id": media.deployment_id,
                                    "claimed_at": time.time() - age_s})


async def test_cosmos_create_media_takes_over_a_dead_creators_claim(cosmos_store: CosmosMetadataStore) -> None:
    media = make_media("trap-a")
    await _orphan_claim(cosmos_store, media, age_s=60)
    moved = media.model_copy(update={"deployment_id": "trap-b"})
    assert await cosmos_store.create_media(moved)
    assert await cosmos_store.get_media(media.id) == moved


async def test_cosmos_create_media_same_trap_retry_after_dead_creator_stores_it(
        cosmos_store: CosmosMetadataStore) -> None:
    media = make_media("trap-a")
    await _orphan_claim(cosmos_store, media, age_s=0)
    assert await cosmos_store.create_media(media)  # the retry of the upload that died
    assert await cosmos_store.get_media(media.id) == media


async def test_cosmos_create_media_never_answers_duplicate_for_a_record_not_yet_there(
        cosmos_store: CosmosMetadataStore) -> None:
    media = make_media("trap-a")
    await _orphan_claim(cosmos_store, media, age_s=0)  # another trap's create, still under way
    with pytest.raises(StorageError) as caught:
        # Waits for it, then refuses rather than point at a record that may never exist.
        await cosmos_store.create_media(media.model_copy(update={"deployment_id": "trap-b"}))
    assert caught.value.code == ErrorCode.WRITE_CONTENTION
    assert await cosmos_store.get_media(media.id) is None


async def test_cosmos_delete_deployment_releases_its_claims(cosmos_store: CosmosMetadataStore) -> None:
    await cosmos_store.create_deployment(make_deployment("trap-a"))
    media = make_media("trap-a")
    assert await cosmos_store.create_media(media)
    assert await cosmos_store.delete_deployment("trap-a")
    assert cosmos_store._index is not None
    assert [c async for c in cosmos_store._index.query_items("SELECT * FROM c")] == []


async def test_reconcile_counters_leaves_exact_counters_alone(metadata_store: MetadataStore) -> None:
    await create_all(metadata_store, *(classified(make_media("trap-a"), Group.MAMMAL) for _ in range(3)))
    now = utc_now()
    assert await metadata_store.reconcile_counters(since=now - timedelta(hours=1), until=now + timedelta(seconds=2)) == 0
    assert await metadata_store.group_counts() == {"trap-a": {Group.MAMMAL: 3}}


async def test_cosmos_reconcile_counters_repairs_writes_cut_between_media_and_counter(
        cosmos_store: CosmosMetadataStore) -> None:
    from ingest.store.cosmos import _media_doc

    kept = classified(make_media("trap-a"), Group.MAMMAL)
    assert await cosmos_store.create_media(kept)
    assert cosmos_store._container is not None
    # A create whose counter write never happened, and a delete whose decrement never happened.
    uncounted = classified(make_media("trap-a", timestamp=at(minutes=5)), Group.RED_PANDA)
    await cosmos_store._container.create_item(_media_doc(uncounted))
    gone = classified(make_media("trap-b"), Group.BIRD)
    assert await cosmos_store.create_media(gone)
    await cosmos_store._container.delete_item(gone.id, partition_key="trap-b")
    assert await cosmos_store.group_counts() == {"trap-a": {Group.MAMMAL: 1}, "trap-b": {Group.BIRD: 1}}

    now = utc_now()
    window = {"since": now - timedelta(minutes=1), "until": now + timedelta(seconds=2)}
    assert await cosmos_store.reconcile_counters(**window) == 2
    assert await cosmos_store.group_counts() == {"trap-a": {Group.MAMMAL: 1, Group.RED_PANDA: 1}}
    assert await cosmos_store.reconcile_counters(**window) == 0  # exact now: nothing more to do
    # A window before the writes judges nothing.
    assert await cosmos_store.reconcile_counters(since=now - timedelta(hours=2), until=now - timedelta(hours=1)) == 0


async def test_list_media_filters_by_groups_and_reviewed_only(metadata_store: MetadataStore) -> None:
    deployment = make_deployment()
    await metadata_store.create_deployment(deployment)
    mammal = classified(make_media(deployment.id), Group.MAMMAL)
    bird = classified(make_media(deployment.id), Group.BIRD)
    reviewed = classified(classified(make_media(deployment.id), Group.BIRD), Group.HUMAN, method="human")
    unlabelled = make_media(deployment.id)
    for media in (mammal, bird, reviewed, unlabelled):
        assert await metadata_store.create_media(media)

    async def ids(filters: MediaFilter) -> set[str]:
        items, _ = await metadata_store.list_media(filters, limit=50)
        return {m.id for m in items}

    both = MediaFilter(deployment_id=deployment.id, groups=[Group.MAMMAL, Group.BIRD])
    assert await ids(both) == {mammal.id, bird.id}
    assert await ids(MediaFilter(deployment_id=deployment.id, reviewed_only=True)) == {reviewed.id}
    assert await metadata_store.count_media(MediaFilter(deployment_id=deployment.id, groups=[Group.HUMAN],
                                                        reviewed_only=True)) == 1
    assert reviewed.shows_people() and not bird.shows_people()


def with_top_k(media: Media, group: Group, top_k: list[tuple[str, float, Group]], *, confidence: float = 0.9) -> Media:
    """``media`` classified by the machine as ``group`` with this top-k (label, score, group)."""
    observation = make_observation(group, probability=confidence).model_copy(update={
        "top_k": [LabelScore(label=label, score=score, group=g) for label, score, g in top_k]})
    return media.with_observation(observation).model_copy(update={"status": MediaStatus.CLASSIFIED})


async def test_list_media_filters_possible_groups_unreviewed_and_sequence(metadata_store: MetadataStore) -> None:
    deployment = make_deployment()
    await metadata_store.create_deployment(deployment)
    top1 = with_top_k(make_media(deployment.id, sequence_id="s1"), Group.RED_PANDA,
                      [("lesser panda", 0.8, Group.RED_PANDA)])
    runner_up = with_top_k(make_media(deployment.id, sequence_id="s1"), Group.MAMMAL,
                           [("badger", 0.5, Group.MAMMAL), ("lesser panda", 0.2, Group.RED_PANDA)])
    faint = with_top_k(make_media(deployment.id, sequence_id="s2"), Group.MAMMAL,
                       [("badger", 0.9, Group.MAMMAL), ("lesser panda", 0.01, Group.RED_PANDA)])
    reviewed = classified(runner_up.model_copy(update={"id": "f" * 64}), Group.MAMMAL, method="human", label="badger")
    old_record = classified(make_media(deployment.id, sequence_id="s2"), Group.BIRD)  # top-k without groups
    for media in (top1, runner_up, faint, reviewed, old_record):
        assert await metadata_store.create_media(media)

    async def ids(**filters) -> set[str]:
        query = MediaFilter(deployment_id=deployment.id, **filters)
        items, _ = await metadata_store.list_media(query, limit=50)
        assert await metadata_store.count_media(query) == len(items)
        return {m.id for m in items}

    possible = {"possible_groups": [Group.RED_PANDA], "possible_min_score": 0.1}
    assert await ids(**possible) == {top1.id, runner_up.id, reviewed.id}
    assert await ids(**possible, unreviewed_only=True) == {top1.id, runner_up.id}
    assert await ids(unreviewed_only=True) == {top1.id, runner_up.id, faint.id, old_record.id}
    assert await ids(sequence_id="s2") == {faint.id, old_record.id}
    assert await ids(possible_groups=[Group.RED_PANDA], possible_min_score=0.005) == {
        top1.id, runner_up.id, faint.id, reviewed.id}
    assert runner_up.top_k_groups == {Group.MAMMAL: 0.5, Group.RED_PANDA: 0.2}


async def test_update_media_review_undone_restores_label_and_count(metadata_store: MetadataStore) -> None:
    deployment = make_deployment()
    await metadata_store.create_deployment(deployment)
    media = classified(make_media(deployment.id), Group.MAMMAL, label="badger")
    assert await metadata_store.create_media(media)
    first = make_observation(Group.BIRD, method="human")
    second = make_observation(Group.RED_PANDA, method="human")
    await metadata_store.update_media(media.id, lambda m: m.with_observation(first).with_observation(second))
    assert (await metadata_store.group_counts())[deployment.id] == {Group.RED_PANDA: 1}
    undone = await metadata_store.update_media(media.id, lambda m: m.without_observation(second.id))
    assert (undone.group, undone.review_state) == (Group.BIRD, "corrected")  # the previous review is back
    undone = await metadata_store.update_media(media.id, lambda m: m.without_observation(first.id))
    assert (undone.group, undone.label, undone.review_state) == (Group.MAMMAL, "badger", None)
    assert (await metadata_store.group_counts())[deployment.id] == {Group.MAMMAL: 1}
    machine = media.observations[0].id
    assert await metadata_store.update_media(media.id, lambda m: m.without_observation(machine)) == undone
    assert await metadata_store.count_media(MediaFilter(deployment_id=deployment.id, unreviewed_only=True)) == 1


async def test_review_queue_reads_bursts_in_priority_order_on_every_backend(metadata_store: MetadataStore) -> None:
    # ingest's queue is built from the store's plain listings: each backend must answer them alike.
    deployment = make_deployment()
    await metadata_store.create_deployment(deployment)

    def frame(minute: float, sequence: str, top_k=(), confidence: float = 0.9) -> Media:
        media = make_media(deployment.id, timestamp=at(minute), sequence_id=sequence)
        return with_top_k(media, Group.MAMMAL, list(top_k), confidence=confidence)

    rest = [frame(30, "s-rest"), frame(30.1, "s-rest")]
    low = [frame(20, "s-low", confidence=0.3)]
    panda = [frame(10, "s-panda"), frame(10.1, "s-panda", [("lesser panda", 0.2, Group.RED_PANDA)])]
    assert all(await metadata_store.create_media_batch([*rest, *low, *panda]))
    rules = QueueRules(sensitive_groups=frozenset({Group.RED_PANDA}), possible_min_score=0.05, low_confidence=0.6)
    seen, cursor = [], None
    while True:
        page = await review_queue(metadata_store, rules, trap_id=deployment.id, limit=1, cursor=cursor,
                                  scan_page_size=1, max_burst_frames=10)
        seen += [(b.sequence_id, len(b.media)) for b in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert seen == [("s-panda", 2), ("s-low", 1), ("s-rest", 2)]
    assert page.counts.model_dump() == {"total": 5, "sensitive": 1, "low_confidence": 1, "rest": 3}


# change feed (list_changes) -------------------------------------------------------------
# Every change read once, in order, across pages, also when media change while a reader
# pages; hidden groups and unlabelled media never read.
SETTLE_S = 0.3  # the Cosmos store's settle window, short here (writes in these tests are awaited one by one)
HIDDEN = [Group.RED_PANDA]


async def settled(store) -> None:
    if hasattr(store, "change_settle_s"):  # Cosmos: only changes older than the window are read
        store.change_settle_s = SETTLE_S
        await asyncio.sleep(SETTLE_S * 2)


async def read_all(store: MetadataStore, cursor: str | None, *, limit: int = 2, **filters) -> tuple[list, str]:
    seen = []
    while True:
        page, cursor = await store.list_changes(after=cursor, limit=limit, exclude_groups=filters.get("hidden", []),
                                                exclude_pending=filters.get("pending", False))
        if not page:
            return seen, cursor
        seen += page


async def make_classified(store, trap: str, n: int, group: Group = Group.MAMMAL) -> list:
    media = [classified(make_media(trap, timestamp=at(i), file_name=f"f{i}.jpg"), group) for i in range(n)]
    assert all(await store.create_media_batch(media))
    return media


async def test_list_changes_pages_every_change_once_in_write_order(metadata_store):
    store = metadata_store
    await store.create_deployment(make_deployment("t1"))
    created = await make_classified(store, "t1", 5)
    await settled(store)
    seen, cursor = await read_all(store, None)
    assert sorted(m.id for m in seen) == sorted(m.id for m in created) and len(seen) == 5
    again, same = await read_all(store, cursor)
    assert again == [] and same == cursor  # nothing new: the cursor stays where it was


async def test_list_changes_media_changed_while_paging_is_read_again_never_missed(metadata_store):
    store = metadata_store
    await store.create_deployment(make_deployment("t1"))
    await make_classified(store, "t1", 6)
    await settled(store)
    first, cursor = await store.list_changes(after=None, limit=3, exclude_groups=[], exclude_pending=False)
    read_before = first[0]
    # Change one media already read and one not yet read, then page on.
    page_ids = {m.id for m in first}
    all_ids = {m.id for m in (await read_all(store, None))[0]}
    unread = sorted(all_ids - page_ids)[0]
    for media_id in (read_before.id, unread):
        await store.update_media(media_id, lambda m: m.model_copy(update={"label": "re-read"}))
    await settled(store)
    rest, _ = await read_all(store, cursor)
    rest_ids = [m.id for m in rest]
    assert sorted(set(rest_ids)) == sorted((all_ids - page_ids) | {read_before.id})
    assert len(rest_ids) == len(set(rest_ids))  # the unread one once, with its new state
    assert {m.id: m.label for m in rest}[unread] == "re-read"
    assert {m.id: m.label for m in rest}[read_before.id] == "re-read"


async def test_list_changes_never_reads_hidden_groups_or_unlabelled_media(metadata_store):
    store = metadata_store
    await store.create_deployment(make_deployment("t1"))
    visible = await make_classified(store, "t1", 2)
    panda = classified(make_media("t1", timestamp=at(30), file_name="p.jpg"), Group.RED_PANDA)
    pending = make_media("t1", timestamp=at(31), file_name="q.jpg")
    assert await store.create_media_batch([panda, pending]) == [True, True]
    await settled(store)
    seen, cursor = await read_all(store, None, hidden=HIDDEN, pending=True)
    assert sorted(m.id for m in seen) == sorted(m.id for m in visible)
    assert pending.status == MediaStatus.PENDING
    # A media a reviewer moves into a hidden group is not read again: its later changes are not
    # the caller's, and the cursor does not move past them either.
    await store.update_media(visible[0].id, lambda m: m.model_copy(update={"group": Group.RED_PANDA}))
    await settled(store)
    after, same = await read_all(store, cursor, hidden=HIDDEN, pending=True)
    assert after == [] and same == cursor
    everything, _ = await read_all(store, None)
    assert {panda.id, pending.id, visible[0].id} <= {m.id for m in everything}


async def test_list_changes_tells_of_deleted_media_after_their_writes(metadata_store):
    store = metadata_store
    await store.create_deployment(make_deployment("t1"))
    kept, gone, back = await make_classified(store, "t1", 3)
    await settled(store)
    _, cursor = await read_all(store, None)
    assert await store.delete_media(gone.id) and await store.delete_media(back.id)
    assert await store.create_media(back)  # the same bytes stored again after their deletion
    await settled(store)
    changes, _ = await read_all(store, cursor)
    # In write order: both deletions, then the media stored again; the kept one unchanged.
    assert [(type(c).__name__, c.id) for c in changes] == [
        ("DeletedMedia", gone.id), ("DeletedMedia", back.id), ("Media", back.id)]
    assert isinstance(changes[0], DeletedMedia) and changes[0].deployment_id == "t1"
    assert changes[0].group == Group.MAMMAL and changes[0].status == MediaStatus.CLASSIFIED
    assert kept.id not in {c.id for c in changes}


async def test_list_changes_deletions_of_hidden_or_unlabelled_media_are_not_read(metadata_store):
    store = metadata_store
    await store.create_deployment(make_deployment("t1"))
    [visible] = await make_classified(store, "t1", 1)
    panda = classified(make_media("t1", timestamp=at(30), file_name="p.jpg"), Group.RED_PANDA)
    pending = make_media("t1", timestamp=at(31), file_name="q.jpg")
    assert await store.create_media_batch([panda, pending]) == [True, True]
    await settled(store)
    _, cursor = await read_all(store, None, hidden=HIDDEN, pending=True)
    for media in (panda, pending, visible):
        assert await store.delete_media(media.id)
    await settled(store)
    seen, _ = await read_all(store, cursor, hidden=HIDDEN, pending=True)
    assert [(type(c).__name__, c.id) for c in seen] == [("DeletedMedia", visible.id)]
    everything, _ = await read_all(store, cursor)
    assert {c.id for c in everything} == {panda.id, pending.id, visible.id}


async def test_list_changes_tells_of_media_deleted_with_their_trap(metadata_store):
    store = metadata_store
    await store.create_deployment(make_deployment("t1"))
    media = await make_classified(store, "t1", 2)
    await settled(store)
    _, cursor = await read_all(store, None)
    assert await store.delete_deployment("t1")
    await settled(store)
    seen, _ = await read_all(store, cursor)
    assert sorted(c.id for c in seen) == sorted(m.id for m in media)
    assert all(isinstance(c, DeletedMedia) for c in seen)


async def test_list_changes_refuses_cursor_that_is_not_a_change_cursor(metadata_store):
    for bad in ("not-a-cursor", encode_cursor("2026-01-01T00:00:00.000000Z|" + "a" * 64)):
        with pytest.raises(StorageError) as info:
            await metadata_store.list_changes(after=bad, limit=10, exclude_groups=[], exclude_pending=False)
        assert info.value.code == ErrorCode.INVALID_CURSOR and info.value.status_code == 400
# outbox ------------------------------------------------------------------------------
def _event(n: int, media: Media | None = None) -> OutboxEvent:
    return OutboxEvent(id=f"event-{n}-{uuid.uuid4().hex[:8]}", type=EventType.MEDIA_CLASSIFIED,
                       time=at(seconds=n), trap_id=media.deployment_id if media else "trap-a",
                       data={"media_id": media.id if media else None})


async def test_outbox_events_come_oldest_first_once_each_and_leave_when_acked(metadata_store: MetadataStore) -> None:
    events = [_event(n) for n in range(3)]
    await metadata_store.append_events(events)
    await metadata_store.append_events(events[:1])  # a re-sent id is kept once
    assert await metadata_store.pending_events(limit=10) == events
    assert await metadata_store.pending_events(limit=2) == events[:2]
    assert await metadata_store.ack_events([events[0].id, "no-such-event"]) == 1
    assert await metadata_store.pending_events(limit=10) == events[1:]


async def test_outbox_events_of_a_batch_are_computed_from_what_it_created(metadata_store: MetadataStore) -> None:
    existing = make_media("trap-a")
    assert await metadata_store.create_media(existing)
    fresh = make_media("trap-a")
    seen: list[list[str]] = []

    def events(created: list[Media]) -> list[OutboxEvent]:
        seen.append([m.id for m in created])
        return [_event(i, m) for i, m in enumerate(created)]

    assert await metadata_store.create_media_batch([existing, fresh], events=events) == [False, True]
    assert seen == [[fresh.id]]
    assert [e.data["media_id"] for e in await metadata_store.pending_events(limit=10)] == [fresh.id]


async def test_outbox_events_of_an_update_come_with_the_write_and_only_with_one(metadata_store: MetadataStore) -> None:
    media = make_media("trap-a")
    assert await metadata_store.create_media(media)
    unchanged = await metadata_store.update_media(media.id, lambda m: m, events=lambda a, b: [_event(0, b)])
    assert unchanged == media and await metadata_store.pending_events(limit=10) == []
    stored = await metadata_store.update_media(media.id, lambda m: classified(m, Group.BIRD),
                                               events=lambda before, after: [_event(1, after)] if
                                               before.group is None and after.group is Group.BIRD else [])
    [event] = await metadata_store.pending_events(limit=10)
    assert stored.group is Group.BIRD and event.data == {"media_id": media.id}
    assert await metadata_store.update_media("f" * 64, lambda m: m, events=lambda a, b: [_event(2, b)]) is None
    assert len(await metadata_store.pending_events(limit=10)) == 1


# batch jobs ------------------------------------------------------------------------------
def make_job(total: int = 10, **overrides: object) -> Job:
    fields: dict[str, object] = {"id": uuid.uuid4().hex, "source": {"container": "imports", "prefix": "a/"},
                                 "trap_id": "trap-1", "total": total, "created_at": utc_now(),
                                 "submitted_by": "uploader@example.org"}
    return Job.model_validate({**fields, **overrides})


async def test_job_round_trips_and_a_second_create_conflicts(metadata_store: MetadataStore) -> None:
    job = make_job()
    await metadata_store.create_job(job)
    assert await metadata_store.get_job(job.id) == job
    with pytest.raises(Conflict):
        await metadata_store.create_job(job)
    assert await metadata_store.get_job(uuid.uuid4().hex) is None


async def test_jobs_list_newest_first_within_the_limit(metadata_store: MetadataStore) -> None:
    jobs = [make_job(created_at=at(i)) for i in range(3)]
    for job in jobs:
        await metadata_store.create_job(job)
    assert [j.id for j in await metadata_store.list_jobs(limit=2)] == [jobs[2].id, jobs[1].id]


async def test_shard_reports_count_once_per_shard_and_finish_the_job(metadata_store: MetadataStore) -> None:
    job = make_job(total=5)
    await metadata_store.create_job(job)
    first = await metadata_store.report_shard(job.id, ShardReport(shard_id="s0", done=2, failed=1))
    assert first is not None and first.status == JobStatus.RUNNING and first.started_at is not None
    assert (first.done, first.failed, first.pending) == (2, 1, 2)
    again = await metadata_store.report_shard(job.id, ShardReport(shard_id="s0", done=2, failed=1))
    assert again is not None and (again.done, again.failed) == (2, 1)  # redelivered: not counted twice
    last = await metadata_store.report_shard(job.id, ShardReport(shard_id="s1", done=2, failed=0))
    assert last is not None and last.status == JobStatus.DONE and last.finished_at is not None
    assert (last.done, last.failed, last.pending) == (4, 1, 0)
    assert await metadata_store.get_job(job.id) == last
    assert await metadata_store.report_shard(uuid.uuid4().hex, ShardReport(shard_id="s0", done=1, failed=0)) is None


async def test_a_job_whose_every_item_failed_is_failed(metadata_store: MetadataStore) -> None:
    job = make_job(total=2)
    await metadata_store.create_job(job)
    stored = await metadata_store.report_shard(job.id, ShardReport(shard_id="s0", done=0, failed=2))
    assert stored is not None and stored.status == JobStatus.FAILED


async def test_concurrent_shard_reports_lose_no_count(metadata_store: MetadataStore) -> None:
    job = make_job(total=40)
    await metadata_store.create_job(job)
    reports = [ShardReport(shard_id=f"s{i % 20}", done=2, failed=0) for i in range(40)]  # each shard twice
    await asyncio.gather(*(metadata_store.report_shard(job.id, r) for r in reports))
    stored = await metadata_store.get_job(job.id)
    assert stored is not None and (stored.done, stored.failed, stored.status) == (40, 0, JobStatus.DONE)


async def test_cancel_marks_a_running_job_and_refuses_a_finished_one(metadata_store: MetadataStore) -> None:
    job = make_job(total=4)
    await metadata_store.create_job(job)
    await metadata_store.report_shard(job.id, ShardReport(shard_id="s0", done=1, failed=0))
    stopped = await metadata_store.cancel_job(job.id)
    assert stopped is not None and stopped.status == JobStatus.CANCELLED and stopped.finished_at is not None
    late = await metadata_store.report_shard(job.id, ShardReport(shard_id="s1", done=1, failed=0))
    assert late is not None and late.status == JobStatus.CANCELLED and late.done == 2  # counted, still cancelled
    with pytest.raises(StorageError) as refused:
        await metadata_store.cancel_job(job.id)
    assert refused.value.code == ErrorCode.JOB_FINISHED and refused.value.status_code == 409
    assert await metadata_store.cancel_job(uuid.uuid4().hex) is None
