"""A SQLite metadata file written before the change feed existed opens and feeds its media."""

import sqlite3

from ailurus_common.domain import Group
from ingest.store.sqlite import SqliteMetadataStore
from tests.contract.factories import classified, make_media


async def test_sqlite_store_from_before_change_feed_is_migrated_and_feeds_old_media(tmp_path):
    path = tmp_path / "old.sqlite3"
    media = classified(make_media("t1"), Group.BIRD)
    store = SqliteMetadataStore(path)
    await store.start()
    assert await store.create_media(media)
    await store.close()
    with sqlite3.connect(path) as db:  # back to the old shape: no change_key column
        db.execute("DROP INDEX media_by_change")
        db.execute("ALTER TABLE media DROP COLUMN change_key")
    store = SqliteMetadataStore(path)
    await store.start()
    try:
        items, cursor = await store.list_changes(after=None, limit=10, exclude_groups=[], exclude_pending=False)
        assert [m.id for m in items] == [media.id]
        again, _ = await store.list_changes(after=cursor, limit=10, exclude_groups=[], exclude_pending=False)
        assert again == []
    finally:
        await store.close()
