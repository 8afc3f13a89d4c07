"""The notifier's own records on one SQLite file: subscriptions (with their secrets), and
one delivery per (subscription, event) with the event it carries, its attempts and its
state (pending, delivered, dead-lettered).

An event is taken over from ingest's outbox by writing its deliveries here (one
transaction, idempotent on the pair) before it is acknowledged there: if the notifier dies
in between, the event is read again and nothing is recorded twice. A pending delivery is
retried until it is delivered or dead-lettered, across restarts.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiosqlite

from ailurus_common.contracts.events import Delivery, OutboxEvent, Subscription, SubscriptionCreate
from ailurus_common.records import utc_now, utc_text

_SCHEMA = """
CREATE TABLE IF NOT EXISTS subscriptions (
    id TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    secret TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS deliveries (
    subscription_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_status_code INTEGER,
    last_error TEXT,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    PRIMARY KEY (subscription_id, event_id)
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_attempt_at);
"""


@dataclass(frozen=True)
class Due:
    """A pending delivery with what sending it needs."""

    subscription: Subscription
    secret: str
    event: OutboxEvent
    attempts: int


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


class DeliveryStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()  # one connection: one transaction at a time

    async def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA busy_timeout=10000")
        await self._db.executescript(_SCHEMA)

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("delivery store is not started")
        return self._db

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write_lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            await self.db.execute("COMMIT")

    async def is_ready(self) -> bool:
        try:
            await self.db.execute_fetchall("SELECT 1")
        except (aiosqlite.Error, RuntimeError):
            return False
        return True

    # subscriptions -----------------------------------------------------------------
    async def create_subscription(self, body: SubscriptionCreate, *, created_by: str) -> Subscription:
        subscription = Subscription(id=uuid.uuid4().hex, url=str(body.url), types=body.types, trap_id=body.trap_id,
                                    group=body.group, precision=body.precision, created_by=created_by,
                                    created_at=utc_now())
        async with self._transaction() as db:
            await db.execute("INSERT INTO subscriptions (id, doc, secret) VALUES (?, ?, ?)",
                             (subscription.id, subscription.model_dump_json(), body.secret))
        return subscription

    async def list_subscriptions(self) -> list[Subscription]:
        rows = await self.db.execute_fetchall("SELECT doc FROM subscriptions WHERE deleted = 0 ORDER BY rowid")
        return [Subscription.model_validate_json(row[0]) for row in rows]

    async def get_subscription(self, subscription_id: str) -> Subscription | None:
        rows = await self.db.execute_fetchall("SELECT doc FROM subscriptions WHERE id = ? AND deleted = 0",
                                              (subscription_id,))
        return Subscription.model_validate_json(rows[0][0]) if rows else None

    async def delete_subscription(self, subscription_id: str) -> bool:
        """Stops its deliveries; its delivery log stays readable to no one (the id is gone)."""
        async with self._transaction() as db:
            cursor = await db.execute("UPDATE subscriptions SET deleted = 1 WHERE id = ? AND deleted = 0",
                                      (subscription_id,))
            await db.execute("UPDATE deliveries SET status = 'dead_lettered', last_error = 'subscription deleted', "
                             "next_attempt_at = NULL WHERE subscription_id = ? AND status = 'pending'",
                             (subscription_id,))
            return cursor.rowcount == 1

    # deliveries --------------------------------------------------------------------
    async def take_over(self, planned: list[tuple[str, OutboxEvent]]) -> None:
        """Record a pending delivery per (subscription id, event), due now; a pair already
        recorded is kept as it is."""
        now = utc_text(utc_now())
        async with self._transaction() as db:
            await db.executemany(
                "INSERT INTO deliveries (subscription_id, event_id, event, status, next_attempt_at, created_at) "
                "VALUES (?, ?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING",
                [(sid, e.id, e.model_dump_json(), now, now) for sid, e in planned])

    async def due(self, *, limit: int) -> list[Due]:
        rows = await self.db.execute_fetchall(
            "SELECT s.doc, s.secret, d.event, d.attempts FROM deliveries d JOIN subscriptions s "
            "ON s.id = d.subscription_id WHERE d.status = 'pending' AND d.next_attempt_at <= ? "
            "ORDER BY d.next_attempt_at LIMIT ?", (utc_text(utc_now()), limit))
        return [Due(Subscription.model_validate_json(doc), secret, OutboxEvent.model_validate_json(event), attempts)
                for doc, secret, event, attempts in rows]

    async def record_attempt(self, subscription_id: str, event_id: str, *, delivered: bool, status_code: int | None,
                             error: str | None, next_attempt_at: datetime | None) -> None:
        """One attempt's outcome: delivered, pending again at ``next_attempt_at``, or (None)
        dead-lettered."""
        status = "delivered" if delivered else "pending" if next_attempt_at else "dead_lettered"
        async with self._transaction() as db:
            await db.execute(
                "UPDATE deliveries SET attempts = attempts + 1, status = ?, last_status_code = ?, last_error = ?, "
                "next_attempt_at = ?, delivered_at = ? WHERE subscription_id = ? AND event_id = ?",
                (status, status_code, error, next_attempt_at and utc_text(next_attempt_at),
                 utc_text(utc_now()) if delivered else None, subscription_id, event_id))

    async def deliveries(self, subscription_id: str, *, status: str | None = None, limit: int = 100) -> list[Delivery]:
        """The subscription's delivery log, newest first."""
        clause, params = ("AND status = ?", [status]) if status else ("", [])
        rows = await self.db.execute_fetchall(
            "SELECT event, status, attempts, last_status_code, last_error, next_attempt_at, created_at, delivered_at "
            f"FROM deliveries WHERE subscription_id = ? {clause} ORDER BY created_at DESC, rowid DESC LIMIT ?",
            [subscription_id, *params, limit])
        items = []
        for event, status_, attempts, code, error, next_at, created, delivered in rows:
            parsed = OutboxEvent.model_validate_json(event)
            items.append(Delivery(event_id=parsed.id, event_type=parsed.type, status=status_, attempts=attempts,
                                  last_status_code=code, last_error=error, next_attempt_at=_parse(next_at),
                                  created_at=_parse(created), delivered_at=_parse(delivered)))
        return items

    async def totals(self) -> dict[str, int]:
        """Deliveries per status, and attempts beyond the first (retries)."""
        rows = await self.db.execute_fetchall("SELECT status, COUNT(*), SUM(MAX(attempts - 1, 0)) FROM deliveries "
                                              "GROUP BY status")
        totals = {"pending": 0, "delivered": 0, "dead_lettered": 0, "retries": 0}
        for status, count, retries in rows:
            totals[status] = count
            totals["retries"] += retries or 0
        return totals
