"""Live per-file upload progress: events published by the upload path, streamed to the
browser as Server-Sent Events.

Kept in this process's memory: the browser's event stream must reach the same gateway
replica as its upload (session affinity on the ingress); events are only a view, the
upload response stays the source of truth.
"""

import asyncio
import json
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from ailurus_common.errors import AilurusError, ErrorCode

UPLOAD_ID_PATTERN = r"^[0-9a-f]{32}$"


class UploadNotYours(AilurusError):
    status_code = 404
    code = ErrorCode.UPLOAD_NOT_FOUND


@dataclass
class _Stream:
    events: list[dict] = field(default_factory=list)
    done: bool = False
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    touched_s: float = field(default_factory=time.monotonic)


class ProgressHub:
    """Live progress per (user, upload id): each user has their own ids, so nobody can read
    another's upload, and opening someone else's id first (to claim it) changes nothing for
    them: their upload publishes to their own stream."""

    def __init__(self, *, ttl_s: float = 600.0, max_uploads: int = 2000, heartbeat_s: float = 15.0) -> None:
        self.ttl_s = ttl_s
        self.max_uploads = max_uploads
        self.heartbeat_s = heartbeat_s
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
            owners = self._owners[upload_id]
            owners.discard(owner)
            if not owners:
                del self._owners[upload_id]

    def publish(self, upload_id: str, owner: str, event: dict) -> None:
        """Never fails: an upload's progress cannot be broken by anyone else."""
        stream = self._stream(upload_id, owner)
        stream.events.append(event)
        stream.changed.set()

    def finish(self, upload_id: str, owner: str) -> None:
        stream = self._stream(upload_id, owner)
        stream.done = True
        stream.changed.set()

    def events(self, upload_id: str, owner: str) -> AsyncIterator[str]:
        """SSE lines: every event so far, then live ones, then ``event: done``. The id of
        another user's upload under way or done answers 404, before any byte of the response
        is sent; an id nobody has uploaded under yet opens the caller's own stream."""
        self._expire()
        if (owner, upload_id) not in self._streams and any(
                self._streams[(other, upload_id)].events or self._streams[(other, upload_id)].done
                for other in self._owners.get(upload_id, ())):
            raise UploadNotYours("no such upload")
        return self._lines(self._stream(upload_id, owner))

    async def _lines(self, stream: _Stream) -> AsyncIterator[str]:
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
