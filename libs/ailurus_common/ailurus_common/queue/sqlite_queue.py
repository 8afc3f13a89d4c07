"""``WorkQueue`` in an SQLite file: the embedded default, shared by the processes of one
machine (the gateway sends, the worker receives). WAL mode and ``BEGIN IMMEDIATE``: a
receive marks its messages in one write transaction, so two receivers never get the same
delivery. Every call runs in a thread (sqlite3 blocks)."""

import asyncio
import sqlite3
import threading
import time
import uuid
from pathlib import Path

from ailurus_common.queue.base import DEAD_LETTER_SUFFIX, QueueMessage, check_body, check_receive
from ailurus_common.storage.errors import StorageError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    visible_at REAL NOT NULL,
    dequeue_count INTEGER NOT NULL DEFAULT 0,
    receipt TEXT,
    inserted_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_visible ON messages (queue, visible_at);
"""
BUSY_TIMEOUT_S = 10.0


class SqliteWorkQueue:
    def __init__(self, path: Path, name: str, *, max_attempts: int | None, _shared: "_Database | None" = None) -> None:
        self.name = name
        self.max_attempts = max_attempts
        self._db = _shared or _Database(path)
        self._dead = None if max_attempts is None else SqliteWorkQueue(path, name + DEAD_LETTER_SUFFIX,
                                                                        max_attempts=None, _shared=self._db)

    @property
    def dead_letter(self) -> "SqliteWorkQueue":
        if self._dead is None:
            raise ValueError(f"{self.name} is a dead-letter queue: it has none of its own")
        return self._dead

    async def ensure(self) -> None:
        await self._db.run(lambda con: None)

    async def send(self, body: str, *, delay_s: int = 0) -> str:
        check_body(body)
        message_id = uuid.uuid4().hex

        def insert(con: sqlite3.Connection) -> None:
            now = time.time()
            con.execute("INSERT INTO messages (id, queue, body, visible_at, inserted_at) VALUES (?, ?, ?, ?, ?)",
                        (message_id, self.name, body, now + max(delay_s, 0), now))

        await self._db.run(insert)
        return message_id

    async def receive(self, max_messages: int, *, visibility_timeout_s: int) -> list[QueueMessage]:
        check_receive(max_messages, visibility_timeout_s)

        def take(con: sqlite3.Connection) -> list[QueueMessage]:
            now = time.time()
            taken: list[QueueMessage] = []
            while len(taken) < max_messages:
                rows = con.execute("SELECT id, body, dequeue_count FROM messages WHERE queue = ? AND visible_at <= ? "
                                   "ORDER BY visible_at, inserted_at LIMIT ?",
                                   (self.name, now, max_messages - len(taken))).fetchall()
                if not rows:
                    break
                for message_id, body, count in rows:
                    if self.max_attempts is not None and count >= self.max_attempts:
                        con.execute("UPDATE messages SET queue = ?, dequeue_count = 0, receipt = NULL, visible_at = ? "
                                    "WHERE id = ?", (self._dead.name, now, message_id))
                        continue
                    receipt = uuid.uuid4().hex
                    con.execute("UPDATE messages SET dequeue_count = ?, receipt = ?, visible_at = ? WHERE id = ?",
                                (count + 1, receipt, now + visibility_timeout_s, message_id))
                    taken.append(QueueMessage(id=message_id, receipt=receipt, dequeue_count=count + 1, body=body))
            return taken

        return await self._db.run(take)

    async def delete(self, message: QueueMessage) -> bool:
        def remove(con: sqlite3.Connection) -> bool:
            return con.execute("DELETE FROM messages WHERE id = ? AND queue = ? AND receipt = ?",
                               (message.id, self.name, message.receipt)).rowcount == 1

        return await self._db.run(remove)

    async def extend(self, message: QueueMessage, *, visibility_timeout_s: int) -> QueueMessage | None:
        receipt = uuid.uuid4().hex

        def update(con: sqlite3.Connection) -> bool:
            return con.execute("UPDATE messages SET receipt = ?, visible_at = ? WHERE id = ? AND queue = ? "
                               "AND receipt = ?", (receipt, time.time() + visibility_timeout_s, message.id, self.name,
                                                   message.receipt)).rowcount == 1

        if not await self._db.run(update):
            return None
        return QueueMessage(id=message.id, receipt=receipt, dequeue_count=message.dequeue_count, body=message.body)

    async def approximate_length(self) -> int:
        return await self._db.run(lambda con: con.execute("SELECT COUNT(*) FROM messages WHERE queue = ?",
                                                          (self.name,)).fetchone()[0])

    async def is_ready(self) -> bool:
        try:
            await self._db.run(lambda con: con.execute("SELECT 1").fetchone())
        except StorageError:
            return False
        return True

    async def close(self) -> None:
        await self._db.close()


class _Database:
    """One connection, used by one thread at a time; opened on first use (no I/O at build)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._con: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        if self._con is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.executescript(_SCHEMA)
            self._con = con
        return self._con

    def _run(self, work):
        with self._lock:
            con = self._connection()
            con.execute("BEGIN IMMEDIATE")
            try:
                result = work(con)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
            return result

    async def run(self, work):
        try:
            return await asyncio.to_thread(self._run, work)
        except sqlite3.Error as exc:
            raise StorageError(f"work queue: {type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        def shut() -> None:
            with self._lock:
                if self._con is not None:
                    self._con.close()
                    self._con = None

        await asyncio.to_thread(shut)
