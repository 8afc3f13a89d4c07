"""Live per-file upload progress: events published by the upload path, streamed to the
browser as Server-Sent Events.

Kept in this process's memory, and with ``SharedProgress`` also written (at most every
``flush_s``) to the blob store every replica shares, so the browser's event stream may reach
any gateway replica: one that does not hold the upload itself reads the shared copy. Events
are only a view; the upload response stays the source of truth.
"""

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from ailurus_common.errors import AilurusError, ErrorCode
from ailurus_common.storage.blob import UPLOADS, BlobStore
from ailurus_common.storage.errors import NotFound

UPLOAD_ID_PATTERN = r"^[0-9a-f]{32}$"
log = logging.getLogger(__name__)


class UploadNotYours(AilurusError):
    status_code = 404
    code = ErrorCode.UPLOAD_NOT_FOUND


@dataclass
class _Stream:
    events: list[dict] = field(default_factory=list)
    done: bool = False
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    touched_s: float = field(default_factory=time.monotonic)


class SharedProgress:
    """Each stream's events as one small JSON blob per (user, upload id), under ``progress/``
    of the uploads container: the name is a hash of both, so one user's name never finds
    another's stream. A failed write or read only delays the view, never the upload."""

    PREFIX = "progress/"

    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs

    def name(self, owner: str, upload_id: str) -> str:
        digest = hashlib.sha256("\0".join((owner, upload_id)).encode()).hexdigest()
        return f"{self.PREFIX}{digest}.json"

    async def write(self, owner: str, upload_id: str, events: list[dict], done: bool) -> None:
        body = json.dumps({"events": events, "done": done}).encode()
        await self.blobs.put(UPLOADS, self.name(owner, upload_id), body, content_type="application/json",
                             overwrite=True)

    async def read(self, owner: str, upload_id: str) -> tuple[list[dict], bool] | None:
        try:
            body = json.loads(await self.blobs.get(UPLOADS, self.name(owner, upload_id)))
        except NotFound:
            return None
        return body["events"], body["done"]

    async def forget(self, owner: str, upload_id: str) -> None:
        await self.blobs.delete(UPLOADS, self.name(owner, upload_id))


class ProgressHub:
    """Live progress per (user, upload id): each user has their own ids, so nobody can read
    another's upload, and opening someone else's id first (to claim it) changes nothing for
    them: their upload publishes to their own stream."""

    def __init__(self, *, ttl_s: float = 600.0, max_uploads: int = 2000, heartbeat_s: float = 15.0,
                 shared: SharedProgress | None = None, flush_s: float = 0.25, poll_s: float = 0.5) -> None:
        self.ttl_s = ttl_s
        self.max_uploads = max_uploads
        self.heartbeat_s = heartbeat_s
        self.shared = shared
        self.flush_s = flush_s
        self.poll_s = poll_s
        self._flushing: dict[tuple[str, str], asyncio.Task] = {}
        self._background: set[asyncio.Task] = set()
        self._streams: OrderedDict[tuple[str, str], _Stream] = OrderedDict()
        self._owners: dict[str, set[str]] = {}  # upload id -> users with a stream of that id

    def _stream(self, upload_id: str, owner: str) -> _Stream:
        self._expire()
        key = (owner, upload_id)
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = _Stream()
            self._owners.setdefault(upload_id, set()).add(owner)
        stream.touched_s = time.monotonic()
        return stream

    def _expire(self) -> None:
        now = time.monotonic()
        while self._streams:
            (owner, upload_id), stream = next(iter(self._streams.items()))
            if len(self._streams) <= self.max_uploads and now - stream.touched_s < self.ttl_s:
                break
            del self._streams[(owner, upload_id)]
            if self.shared is not None:
                self._spawn(self._forget(owner, upload_id))
            owners = self._owners[upload_id]
            owners.discard(owner)
            if not owners:
                del self._owners[upload_id]

    def publish(self, upload_id: str, owner: str, event: dict) -> None:
        """Never fails: an upload's progress cannot be broken by anyone else."""
        stream = self._stream(upload_id, owner)
        stream.events.append(event)
        stream.changed.set()
        self._share(upload_id, owner)

    def finish(self, upload_id: str, owner: str) -> None:
        stream = self._stream(upload_id, owner)
        stream.done = True
        stream.changed.set()
        self._share(upload_id, owner)

    # the shared copy ---------------------------------------------------------------
    def _spawn(self, work) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _share(self, upload_id: str, owner: str) -> None:
        """Write the stream's events to the shared copy soon: one write per ``flush_s`` at most
        (the last one after ``done``), however many files publish meanwhile."""
        key = (owner, upload_id)
        if self.shared is not None and key not in self._flushing:
            self._flushing[key] = self._spawn(self._flush(key))

    async def _flush(self, key: tuple[str, str]) -> None:
        """One writer per stream: writes are never reordered, and what was published during
        a write is written by the next round."""
        owner, upload_id = key
        written = (-1, False)
        try:
            while True:
                await asyncio.sleep(self.flush_s)
                stream = self._streams.get(key)
                if stream is None or (len(stream.events), stream.done) == written:
                    return
                written = (len(stream.events), stream.done)
                try:
                    await self.shared.write(owner, upload_id, stream.events[:written[0]], written[1])
                except Exception as exc:  # noqa: BLE001 - the view waits; the upload is not touched
                    log.warning("upload progress not shared: %s", exc)
        finally:
            del self._flushing[key]

    async def _forget(self, owner: str, upload_id: str) -> None:
        with contextlib.suppress(Exception):
            await self.shared.forget(owner, upload_id)

    async def close(self) -> None:
        """Stop the shared writes still waiting (at shutdown: the uploads they describe are over)."""
        for task in list(self._background):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._background, return_exceptions=True)

    def events(self, upload_id: str, owner: str) -> AsyncIterator[str]:
        """SSE lines: every event so far, then live ones, then ``event: done``. The id of
        another user's upload under way or done answers 404, before any byte of the response
        is sent; an id nobody has uploaded under yet opens the caller's own stream."""
        self._expire()
        if (owner, upload_id) not in self._streams and any(
                self._streams[(other, upload_id)].events or self._streams[(other, upload_id)].done
                for other in self._owners.get(upload_id, ())):
            raise UploadNotYours("no such upload")
        return self._lines(self._stream(upload_id, owner), upload_id, owner)

    async def _lines(self, stream: _Stream, upload_id: str, owner: str) -> AsyncIterator[str]:
        """From this replica's stream; until it has events, also from the shared copy (the
        upload may run on another replica), read every ``poll_s``."""
        if self.shared is not None:
            while not (stream.events or stream.done):
                shared = await self._read_shared(owner, upload_id)
                if shared is not None and (shared.events or shared.done):
                    stream = shared
                    break
                stream.changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stream.changed.wait(), timeout=self.poll_s)
            if stream is not self._streams.get((owner, upload_id)):
                async for line in self._shared_lines(stream, upload_id, owner):
                    yield line
                return
        sent = 0
        while True:
            while sent < len(stream.events):
                yield f"data: {json.dumps(stream.events[sent])}\n\n"
                sent += 1
            if stream.done:
                yield "event: done\ndata: {}\n\n"
                return
            stream.changed.clear()
            try:
                await asyncio.wait_for(stream.changed.wait(), timeout=self.heartbeat_s)
            except TimeoutError:
                yield ": keep-alive\n\n"  # proxies close idle streams

    async def _read_shared(self, owner: str, upload_id: str) -> _Stream | None:
        try:
            found = await self.shared.read(owner, upload_id)
        except Exception as exc:  # noqa: BLE001 - read again at the next poll
            log.warning("shared upload progress not read: %s", exc)
            return None
        return None if found is None else _Stream(events=found[0], done=found[1])

    async def _shared_lines(self, stream: _Stream, upload_id: str, owner: str) -> AsyncIterator[str]:
        """The events of an upload another replica runs, as its shared copy grows."""
        sent, idle_s = 0, 0.0
        while True:
            while sent < len(stream.events):
                yield f"data: {json.dumps(stream.events[sent])}\n\n"
                sent += 1
                idle_s = 0.0
            if stream.done:
                yield "event: done\ndata: {}\n\n"
                return
            await asyncio.sleep(self.poll_s)
            idle_s += self.poll_s
            if idle_s >= self.heartbeat_s:
                idle_s = 0.0
                yield ": keep-alive\n\n"
            stream = await self._read_shared(owner, upload_id) or stream
