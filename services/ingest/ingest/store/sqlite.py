"""``MetadataStore`` on one SQLite file (the embedded default of ``make run``).

Records are kept whole as JSON in ``doc``; the fields the queries filter and sort on are
copied into plain columns. Datetimes are fixed-width UTC strings (the format of
``Media.sort_key``), so comparing the strings compares the times. Daily per-group counters
change in the same transaction as the media that moves them, so they are always exact.
Outbox events are inserted in the transaction of the change that causes them: a change
is never committed without its events, nor an event without its change.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite

from ailurus_common.contracts.events import OutboxEvent
from ailurus_common.contracts.ingest import DeletedMedia
from ailurus_common.contracts.jobs import Job, ShardReport, apply_shard, cancelled
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.errors import ErrorCode
from ailurus_common.records import Deployment, Media, MediaFilter, utc_now
from ailurus_common.storage.errors import Conflict, NotFound, StorageError
from ingest.store.base import (
    FIRST_CHANGE_CURSOR,
    BatchEvents,
    ChangeEvents,
    CounterKey,
    CountsPer,
    Frame,
    MediaChange,
    change_key,
    counter_key,
    decode_change_cursor,
    decode_cursor,
    encode_change_cursor,
    encode_cursor,
    media_counter_key,
    parse_utc_text,
    utc_text,
)

_BUSY_TIMEOUT_MS = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deployments (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS media (
    id TEXT PRIMARY KEY,
    deployment_id TEXT NOT NULL,
    status TEXT NOT NULL,
    grp TEXT,
    label TEXT,
    confidence REAL,
    timestamp TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    doc TEXT NOT NULL,
    change_key TEXT
);
CREATE INDEX IF NOT EXISTS media_by_sort_key ON media (sort_key);
CREATE INDEX IF NOT EXISTS media_by_deployment ON media (deployment_id, sort_key);
CREATE INDEX IF NOT EXISTS media_by_deployment_time ON media (deployment_id, timestamp);
CREATE INDEX IF NOT EXISTS media_by_group ON media (grp, sort_key);
CREATE INDEX IF NOT EXISTS media_by_status ON media (status, updated_at);
CREATE INDEX IF NOT EXISTS media_by_change ON media (change_key);
-- The change feed's tombstones: one per deleted media id (its latest deletion).
CREATE TABLE IF NOT EXISTS tombstones (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    grp TEXT,
    change_key TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tombstones_by_change ON tombstones (change_key);
CREATE TABLE IF NOT EXISTS counters (
    deployment_id TEXT NOT NULL,
    day TEXT NOT NULL,
    grp TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (deployment_id, day, grp)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_at);
CREATE TABLE IF NOT EXISTS job_shards (
    job_id TEXT NOT NULL,
    shard_id TEXT NOT NULL,
    PRIMARY KEY (job_id, shard_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL
);
"""

_MEDIA_COLUMNS = "id, deployment_id, status, grp, label, confidence, timestamp, sort_key, updated_at, doc, change_key"
_MEDIA_UPDATE = ("deployment_id = ?, status = ?, grp = ?, label = ?, confidence = ?, timestamp = ?, "
                 "sort_key = ?, updated_at = ?, doc = ?, change_key = ?")


def _media_row(media: Media, change: str) -> tuple[Any, ...]:
    return (media.id, media.deployment_id, str(media.status), media.group and str(media.group), media.label,
            media.confidence, utc_text(media.timestamp), media.sort_key, utc_text(media.updated_at),
            media.model_dump_json(), change)


def _media_where(filters: MediaFilter) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for clause, value in (
        ("deployment_id = ?", filters.deployment_id),
        ("grp = ?", filters.group and str(filters.group)),
        ("label = ?", filters.label),
        ("status = ?", filters.status and str(filters.status)),
        ("timestamp >= ?", filters.start and utc_text(filters.start)),
        ("timestamp < ?", filters.end and utc_text(filters.end)),
        ("confidence >= ?", filters.min_confidence),
        ("confidence < ?", filters.max_confidence),
        # Analytics-only filters read the document: no column or index needed for them.
        ("json_extract(doc, '$.capture_hour') = ?", filters.capture_hour),
        ("json_extract(doc, '$.model_key') = ?", filters.model_key),
        ("json_extract(doc, '$.review_state') = ?", filters.review_state),
        ("json_extract(doc, '$.sequence_id') = ?", filters.sequence_id),
    ):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    if filters.exclude_groups:
        clauses.append(f"(grp IS NULL OR grp NOT IN ({', '.join('?' * len(filters.exclude_groups))}))")
        params.extend(str(g) for g in filters.exclude_groups)
    if filters.exclude_pending:
        clauses.append("status != ?")
        params.append(str(MediaStatus.PENDING))
    if filters.groups:
        clauses.append(f"grp IN ({', '.join('?' * len(filters.groups))})")
        params.extend(str(g) for g in filters.groups)
    if filters.reviewed_only:
        clauses.append("json_extract(doc, '$.review_state') IN ('confirmed', 'corrected')")
    if filters.unreviewed_only:
        clauses.append("json_extract(doc, '$.review_state') IS NULL")
    if filters.possible_groups:
        # Group values are the enum's own (checked by MediaFilter): safe as JSON paths.
        groups = [str(Group(g)) for g in filters.possible_groups]
        alternatives = [f"grp IN ({', '.join('?' * len(groups))})"]
        alternatives += [f"json_extract(doc, '$.top_k_groups.{g}') >= ?" for g in groups]
        clauses.append(f"({' OR '.join(alternatives)})")
        params.extend(groups)
        params.extend(filters.possible_min_score for _ in groups)
    return clauses, params


def _where_sql(clauses: list[str]) -> str:
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


class SqliteMetadataStore:
    """One SQLite database file in WAL mode: a writer connection (writes serialised by a lock,
    one ``BEGIN IMMEDIATE`` transaction each) and a reader connection that sees committed data."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._last_stamp: datetime | None = None

    async def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
        self._writer = await aiosqlite.connect(self.path, isolation_level=None)
        await self._writer.execute("PRAGMA journal_mode=WAL")
        await self._writer.execute("PRAGMA synchronous=NORMAL")
        await self._writer.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        columns = {row[1] for row in await self._writer.execute_fetchall("PRAGMA table_info(media)")}
        if columns and "change_key" not in columns:  # a database from before the change feed
            await self._writer.execute("ALTER TABLE media ADD COLUMN change_key TEXT")
            await self._writer.execute("UPDATE media SET change_key = updated_at || '|' || id")
        await self._writer.executescript(_SCHEMA)
        self._reader = await aiosqlite.connect(self.path, isolation_level=None)
        await self._reader.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")

    async def close(self) -> None:
        for connection in (self._reader, self._writer):
            if connection is not None:
                await connection.close()
        self._reader = self._writer = None

    async def is_ready(self) -> bool:
        try:
            await self._read_one("SELECT 1")
        except StorageError:
            return False
        return True

    # plumbing ----------------------------------------------------------------------
    def _change(self, media_id: str) -> str:
        """The change key of a write made now. Called inside the write transaction: writes
        are serialised, and each stamp is later than the one before (even if the clock steps
        back), so keys grow in commit order and a reader never sees a key appear behind one
        it has read."""
        stamp = utc_now()
        if self._last_stamp is not None and stamp <= self._last_stamp:
            stamp = self._last_stamp + timedelta(microseconds=1)
        self._last_stamp = stamp
        return change_key(stamp, media_id)

    def _connection(self, connection: aiosqlite.Connection | None) -> aiosqlite.Connection:
        if connection is None:
            raise StorageError("metadata store is not started")
        return connection

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        db = self._connection(self._writer)
        async with self._write_lock:
            try:
                await db.execute("BEGIN IMMEDIATE")
                yield db
                await db.execute("COMMIT")
            except BaseException as exc:
                if db.in_transaction:
                    await db.execute("ROLLBACK")
                if isinstance(exc, aiosqlite.Error):
                    raise StorageError(f"metadata database error: {exc}") from exc
                raise

    async def _read_all(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[aiosqlite.Row]:
        try:
            # One call runs and finishes the statement on the connection's thread. With
            # execute() and fetchall() as two steps, concurrent reads interleave, a statement
            # stays open and keeps the connection's read snapshot alive: later reads would
            # miss rows the writer has committed since (seen under load: 404 right after create).
            return list(await self._connection(self._reader).execute_fetchall(sql, params))
        except aiosqlite.Error as exc:
            raise StorageError(f"metadata database error: {exc}") from exc

    async def _read_one(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> aiosqlite.Row | None:
        rows = await self._read_all(sql, params)
        return rows[0] if rows else None

    @staticmethod
    async def _adjust(db: aiosqlite.Connection, old: CounterKey | None, new: CounterKey | None) -> None:
        if old == new:
            return
        for key, delta in ((old, -1), (new, 1)):
            if key is not None:
                await db.execute(
                    "INSERT INTO counters (deployment_id, day, grp, count) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (deployment_id, day, grp) DO UPDATE SET count = count + excluded.count",
                    (*key, delta))

    @staticmethod
    async def _outbox(db: aiosqlite.Connection, events: list[OutboxEvent]) -> None:
        await db.executemany("INSERT INTO outbox (id, doc) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                             [(e.id, e.model_dump_json()) for e in events])

    # deployments -------------------------------------------------------------------
    async def create_deployment(self, deployment: Deployment) -> None:
        async with self._transaction() as db:
            cursor = await db.execute("INSERT INTO deployments (id, doc) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                                      (deployment.id, deployment.model_dump_json()))
            if cursor.rowcount == 0:
                raise Conflict(f"deployment {deployment.id!r} exists")

    async def get_deployment(self, deployment_id: str) -> Deployment | None:
        row = await self._read_one("SELECT doc FROM deployments WHERE id = ?", (deployment_id,))
        return Deployment.model_validate_json(row[0]) if row else None

    async def list_deployments(self) -> list[Deployment]:
        rows = await self._read_all("SELECT doc FROM deployments ORDER BY id")
        return [Deployment.model_validate_json(row[0]) for row in rows]

    async def replace_deployment(self, deployment: Deployment) -> None:
        async with self._transaction() as db:
            cursor = await db.execute("UPDATE deployments SET doc = ? WHERE id = ?",
                                      (deployment.model_dump_json(), deployment.id))
            if cursor.rowcount == 0:
                raise NotFound(f"deployment {deployment.id!r} not found")

    async def delete_deployment(self, deployment_id: str) -> bool:
        async with self._transaction() as db:
            cursor = await db.execute("DELETE FROM deployments WHERE id = ?", (deployment_id,))
            if cursor.rowcount == 0:
                return False
            async with db.execute("SELECT id, status, grp FROM media WHERE deployment_id = ?",
                                  (deployment_id,)) as rows:
                gone = await rows.fetchall()
            await self._tombstones(db, [DeletedMedia(id=media_id, deployment_id=deployment_id, deleted_at=utc_now(),
                                                     status=status, group=group) for media_id, status, group in gone])
            await db.execute("DELETE FROM media WHERE deployment_id = ?", (deployment_id,))
            await db.execute("DELETE FROM counters WHERE deployment_id = ?", (deployment_id,))
            return True

    # media -------------------------------------------------------------------------
    async def create_media(self, media: Media) -> bool:
        async with self._transaction() as db:
            # id is the primary key across all deployments: same bytes = one record.
            cursor = await db.execute(
                f"INSERT INTO media ({_MEDIA_COLUMNS}) VALUES ({', '.join('?' * 11)}) ON CONFLICT (id) DO NOTHING",
                _media_row(media, self._change(media.id)))
            if cursor.rowcount == 0:
                return False
            await self._adjust(db, None, media_counter_key(media))
            return True

    async def create_media_batch(self, media: list[Media], *, events: BatchEvents | None = None) -> list[bool]:
        created = []
        async with self._transaction() as db:  # one transaction: one fsync for the whole upload
            for item in media:
                cursor = await db.execute(
                    f"INSERT INTO media ({_MEDIA_COLUMNS}) VALUES ({', '.join('?' * 11)}) ON CONFLICT (id) DO NOTHING",
                    _media_row(item, self._change(item.id)))
                created.append(cursor.rowcount == 1)
                if cursor.rowcount == 1:
                    await self._adjust(db, None, media_counter_key(item))
            if events is not None:
                await self._outbox(db, events([m for m, ok in zip(media, created, strict=True) if ok]))
        return created

    async def get_media(self, media_id: str) -> Media | None:
        row = await self._read_one("SELECT doc FROM media WHERE id = ?", (media_id,))
        return Media.model_validate_json(row[0]) if row else None

    async def update_media(self, media_id: str, change: MediaChange, *,
                           events: ChangeEvents | None = None) -> Media | None:
        # Read, change and write in one write transaction: writes are serialised, so nobody
        # can write in between.
        async with self._transaction() as db:
            async with db.execute("SELECT doc FROM media WHERE id = ?", (media_id,)) as rows:
                row = await rows.fetchone()
            if row is None:
                return None
            current = Media.model_validate_json(row[0])
            updated = change(current)
            if updated is current:
                return current
            if updated.id != current.id or updated.deployment_id != current.deployment_id:
                raise ValueError("update_media cannot move a media to another id or trap")
            row = _media_row(updated, self._change(media_id))
            await db.execute(f"UPDATE media SET {_MEDIA_UPDATE} WHERE id = ?", (*row[1:], media_id))
            await self._adjust(db, media_counter_key(current), media_counter_key(updated))
            if events is not None:
                await self._outbox(db, events(current, updated))
            return updated

    async def delete_media(self, media_id: str) -> bool:
        async with self._transaction() as db:
            async with db.execute("SELECT deployment_id, status, grp, timestamp FROM media WHERE id = ?",
                                  (media_id,)) as rows:
                stored = await rows.fetchone()
            if stored is None:
                return False
            await db.execute("DELETE FROM media WHERE id = ?", (media_id,))
            await self._adjust(db, counter_key(*stored), None)
            deployment_id, status, group, _ = stored
            await self._tombstones(db, [DeletedMedia(id=media_id, deployment_id=deployment_id, deleted_at=utc_now(),
                                                     status=status, group=group)])
            return True

    async def _tombstones(self, db: aiosqlite.Connection, gone: list[DeletedMedia]) -> None:
        """The change feed's record of deletions (one per media id: its latest deletion)."""
        await db.executemany(
            "INSERT INTO tombstones (id, status, grp, change_key, doc) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) "
            "DO UPDATE SET status = excluded.status, grp = excluded.grp, change_key = excluded.change_key, "
            "doc = excluded.doc",
            [(g.id, str(g.status), g.group and str(g.group), self._change(g.id), g.model_dump_json()) for g in gone])

    async def list_media(self, filters: MediaFilter, *, limit: int,
                         cursor: str | None = None) -> tuple[list[Media], str | None]:
        if limit < 1:
            raise StorageError("limit must be at least 1", code=ErrorCode.INVALID_LIMIT, status_code=400)
        clauses, params = _media_where(filters)
        if cursor is not None:
            clauses.append("sort_key < ?")
            params.append(decode_cursor(cursor))
        # One row more than asked tells whether a next page exists.
        rows = await self._read_all(
            f"SELECT doc, sort_key FROM media {_where_sql(clauses)} ORDER BY sort_key DESC LIMIT ?",
            [*params, limit + 1])
        page = rows[:limit]
        next_cursor = encode_cursor(page[-1][1]) if len(rows) > limit else None
        return [Media.model_validate_json(row[0]) for row in page], next_cursor

    async def list_changes(self, *, after: str | None, limit: int, exclude_groups: list[Group],
                           exclude_pending: bool) -> tuple[list[Media | DeletedMedia], str]:
        if limit < 1:
            raise StorageError("limit must be at least 1", code=ErrorCode.INVALID_LIMIT, status_code=400)
        # Media and tombstones have the columns the filter reads (grp, status): one filter, both tables.
        clauses, params = _media_where(MediaFilter(exclude_groups=exclude_groups, exclude_pending=exclude_pending))
        clauses.append("change_key IS NOT NULL")
        if after is not None:
            clauses.append("change_key > ?")
            params.append(decode_change_cursor(after))
        where = _where_sql(clauses)
        rows = await self._read_all(
            f"SELECT doc, change_key, 0 FROM media {where} UNION ALL "
            f"SELECT doc, change_key, 1 FROM tombstones {where} ORDER BY change_key LIMIT ?",
            [*params, *params, limit])
        cursor = encode_change_cursor(rows[-1][1]) if rows else after or FIRST_CHANGE_CURSOR
        return [DeletedMedia.model_validate_json(doc) if gone else Media.model_validate_json(doc)
                for doc, _, gone in rows], cursor

    async def list_pending(self, *, updated_before: datetime, limit: int) -> list[Media]:
        rows = await self._read_all(
            "SELECT doc FROM media WHERE status = ? AND updated_at < ? ORDER BY updated_at LIMIT ?",
            (str(MediaStatus.PENDING), utc_text(updated_before), limit))
        return [Media.model_validate_json(row[0]) for row in rows]

    async def frames_near(self, deployment_id: str, start: datetime, end: datetime) -> list[Frame]:
        rows = await self._read_all(
            "SELECT id, timestamp, json_extract(doc, '$.sequence_id') FROM media WHERE deployment_id = ? "
            "AND status = ? AND timestamp >= ? AND timestamp <= ? ORDER BY sort_key",
            (deployment_id, str(MediaStatus.CLASSIFIED), utc_text(start), utc_text(end)))
        return [Frame(row[0], parse_utc_text(row[1]), row[2]) for row in rows]

    # outbox ------------------------------------------------------------------------
    async def append_events(self, events: list[OutboxEvent]) -> None:
        async with self._transaction() as db:
            await self._outbox(db, events)

    async def pending_events(self, *, limit: int) -> list[OutboxEvent]:
        rows = await self._read_all("SELECT doc FROM outbox ORDER BY seq LIMIT ?", (limit,))
        return [OutboxEvent.model_validate_json(row[0]) for row in rows]

    async def ack_events(self, ids: list[str]) -> int:
        if not ids:
            return 0
        async with self._transaction() as db:
            cursor = await db.execute(f"DELETE FROM outbox WHERE id IN ({', '.join('?' * len(ids))})", ids)
            return cursor.rowcount

    # batch jobs --------------------------------------------------------------------
    async def create_job(self, job: Job) -> None:
        async with self._transaction() as db:
            cursor = await db.execute("INSERT INTO jobs (id, created_at, doc) VALUES (?, ?, ?) "
                                      "ON CONFLICT (id) DO NOTHING", (job.id, utc_text(job.created_at),
                                                                      job.model_dump_json()))
            if cursor.rowcount == 0:
                raise Conflict(f"job {job.id!r} exists")

    async def get_job(self, job_id: str) -> Job | None:
        row = await self._read_one("SELECT doc FROM jobs WHERE id = ?", (job_id,))
        return Job.model_validate_json(row[0]) if row else None

    async def list_jobs(self, *, limit: int) -> list[Job]:
        rows = await self._read_all("SELECT doc FROM jobs ORDER BY created_at DESC, id DESC LIMIT ?", (limit,))
        return [Job.model_validate_json(row[0]) for row in rows]

    async def cancel_job(self, job_id: str) -> Job | None:
        async with self._transaction() as db:
            job = await self._job_in(db, job_id)
            if job is None:
                return None
            if job.finished:
                raise StorageError(f"job {job_id!r} is {job.status}", code=ErrorCode.JOB_FINISHED, status_code=409)
            job = cancelled(job, now=utc_now())
            await db.execute("UPDATE jobs SET doc = ? WHERE id = ?", (job.model_dump_json(), job_id))
            return job

    async def report_shard(self, job_id: str, report: ShardReport) -> Job | None:
        # One transaction: the shard's mark and the counts commit together, so a report
        # delivered twice finds the mark and adds nothing.
        async with self._transaction() as db:
            job = await self._job_in(db, job_id)
            if job is None:
                return None
            cursor = await db.execute("INSERT INTO job_shards (job_id, shard_id) VALUES (?, ?) "
                                      "ON CONFLICT DO NOTHING", (job_id, report.shard_id))
            if cursor.rowcount == 0:
                return job
            job = apply_shard(job, report, now=utc_now())
            await db.execute("UPDATE jobs SET doc = ? WHERE id = ?", (job.model_dump_json(), job_id))
            return job

    @staticmethod
    async def _job_in(db: aiosqlite.Connection, job_id: str) -> Job | None:
        async with db.execute("SELECT doc FROM jobs WHERE id = ?", (job_id,)) as rows:
            row = await rows.fetchone()
        return Job.model_validate_json(row[0]) if row else None

    # aggregates --------------------------------------------------------------------
    async def group_counts(self, *, deployment_id: str | None = None, start_day: date | None = None,
                           end_day: date | None = None, per: CountsPer = "deployment",
                           ) -> dict[str, dict[Group, int]]:
        key = {"day": "day", "deployment": "deployment_id", "deployment_day": "deployment_id || '/' || day"}[per]
        clauses: list[str] = []
        params: list[Any] = []
        for clause, value in (("deployment_id = ?", deployment_id),
                              ("day >= ?", start_day and start_day.isoformat()),
                              ("day <= ?", end_day and end_day.isoformat())):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        rows = await self._read_all(
            f"SELECT {key}, grp, SUM(count) FROM counters {_where_sql(clauses)} "
            f"GROUP BY {key}, grp HAVING SUM(count) > 0 ORDER BY {key}, grp", params)
        counts: dict[str, dict[Group, int]] = {}
        for trap, group, count in rows:
            counts.setdefault(trap, {})[Group(group)] = count
        return counts

    async def model_keys(self) -> list[str]:
        rows = await self._read_all("SELECT DISTINCT json_extract(doc, '$.model_key') AS k FROM media "
                                    "WHERE k IS NOT NULL ORDER BY k", [])
        return [row[0] for row in rows]

    async def count_media(self, filters: MediaFilter) -> int:
        clauses, params = _media_where(filters)
        row = await self._read_one(f"SELECT COUNT(*) FROM media {_where_sql(clauses)}", params)
        return row[0] if row else 0

    async def reconcile_counters(self, *, since: datetime, until: datetime) -> int:
        return 0  # every counter change commits in the media's own transaction
