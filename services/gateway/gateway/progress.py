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
    owner: str
    events: list[dict] = field(default_factory=list)
    done: bool = False
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    touched_s: float = field(default_factory=time.monotonic)


class ProgressHub:
    def __init__(self, *, ttl_s: float = 600.0, max_uploads: int = 2000, heartbeat_s: float = 15.0) -> None:
        self.ttl_s = ttl_s
        self.max_uploads = max_uploads
        self.heartbeat_s = heartbeat_s
        self._streams: OrderedDict[str, _Stream] = OrderedDict()

    def _stream(self, upload_id: str, owner: str) -> _Stream:
        self._expire()
        stream = self._streams.get(upload_id)
        if stream is None:
            stream = self._streams[upload_id] = _Stream(owner)
        elif stream.owner != owner:
            # Someone else's upload id: answer as if it did not exist.
            raise UploadNotYours("no such upload")
        stream.touched_s = time.monotonic()
        return stream

    def _expire(self) -> None:
        now = time.monotonic()
        while self._streams:
            upload_id, stream = next(iter(self._streams.items()))
            if len(self._streams) <= self.max_uploads and now - stream.touched_s < self.ttl_s:
                break
            del self._streams[upload_id]

    def publish(self, upload_id: str, owner: str, event: dict) -> None:
        stream = self._stream(upload_id, owner)
        stream.events.append(event)
        stream.changed.set()

    def finish(self, upload_id: str, owner: str) -> None:
        stream = self._stream(upload_id, owner)
        stream.done = True
        stream.changed.set()

    def events(self, upload_id: str, owner: str) -> AsyncIterator[str]:
        """SSE lines: every event so far, then live ones, then ``event: done``. The owner
        check happens here, before any byte of the response is sent."""
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
