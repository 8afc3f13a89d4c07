"""Resumable uploads: one file sent in chunks over as many requests (and connections) as it
takes, then stored and classified by the same pipeline as a multipart upload.

Everything a session is lives in the blob store's ``staging`` container, so a restarted
gateway (or another replica) carries on where the last one stopped:

- ``sessions/<id>.json``: who opened it, for which trap, the file's declared name, size
  and SHA-256, and when it expires (pushed back by every chunk);
- ``blocks/<id>``: the chunks received, as staged blocks whose id is the chunk's
  zero-padded byte offset. The offset to resume from is read back from the staged blocks
  themselves, so it can never disagree with the bytes that are actually kept.

Why the blob store and not ingest: the bytes already have to be there; a session is edge
state of one transfer (ingest owns the media records, which only the finished file gets);
and no second store has to agree with the first after a crash between two writes.

On completion the blocks are committed (in one step) into ``blocks/<id>``, read back,
checked against the declared size and SHA-256, and handed to ``UploadPipeline`` as one
file; the session is then dropped. A session idle for ``upload_session_ttl_s`` expires;
``sweep`` drops it with its staged blocks.
"""

import asyncio
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel

from ailurus_common.errors import AilurusError, ErrorCode
from ailurus_common.records import utc_now
from ailurus_common.storage.blob import STAGING, UPLOADS, BlobStore, original_blob_name
from ailurus_common.storage.errors import NotFound
from gateway.schemas import FileResult
from gateway.uploads import Notify, UploadPipeline

log = logging.getLogger(__name__)

SESSION_ID_PATTERN = r"^[0-9a-f]{32}$"
OFFSET_DIGITS = 16  # block ids: every id of one blob has the same length (Azure's rule)
_RECORDS, _BLOCKS = "sessions/", "blocks/"


class SessionNotFound(AilurusError):
    """Unknown, expired, finished, or opened by someone else (all answer the same)."""

    status_code = 404
    code = ErrorCode.UPLOAD_SESSION_NOT_FOUND


class OffsetMismatch(AilurusError):
    status_code = 409
    code = ErrorCode.UPLOAD_OFFSET_MISMATCH


class Incomplete(AilurusError):
    status_code = 409
    code = ErrorCode.UPLOAD_INCOMPLETE


class HashMismatch(AilurusError):
    status_code = 422
    code = ErrorCode.UPLOAD_HASH_MISMATCH


class SessionRecord(BaseModel):
    """What ``sessions/<id>.json`` holds."""

    id: str
    trap_id: str
    user: str
    file_name: str
    size_bytes: int
    sha256: str
    created_at: datetime
    expires_at: datetime
    committed: bool = False  # blocks joined into blocks/<id>; only the pipeline step is left


@dataclass
class SessionState:
    record: SessionRecord
    offset_bytes: int
    result: FileResult | None = None


def _block_id(offset: int) -> str:
    return f"{offset:0{OFFSET_DIGITS}d}"


def _contiguous(staged: dict[str, int]) -> tuple[int, list[str]]:
    """The offset up to which every byte is staged, and the block ids that cover it."""
    offset, ids = 0, []
    by_offset = {int(block_id): (block_id, size) for block_id, size in staged.items() if block_id.isdigit()}
    while offset in by_offset and by_offset[offset][1] > 0:
        block_id, size = by_offset[offset]
        ids.append(block_id)
        offset += size
    return offset, ids


class UploadSessions:
    def __init__(self, blobs: BlobStore, pipeline: UploadPipeline, *, ttl_s: float) -> None:
        self.blobs, self.pipeline, self.ttl_s = blobs, pipeline, ttl_s
        self._completing: dict[str, asyncio.Lock] = {}

    async def stored_media(self, sha256: str) -> bool:
        """True when these bytes are stored and recorded already (nothing to send)."""
        if not await self.blobs.exists(UPLOADS, original_blob_name(sha256)):
            return False
        return await self.pipeline.ingest.find_media(sha256) is not None

    async def open(self, trap_id: str, *, user: str, file_name: str, size_bytes: int, sha256: str) -> SessionState:
        now = utc_now()
        record = SessionRecord(id=secrets.token_hex(16), trap_id=trap_id, user=user, file_name=file_name,
                               size_bytes=size_bytes, sha256=sha256, created_at=now,
                               expires_at=now + timedelta(seconds=self.ttl_s))
        await self._save(record)
        return SessionState(record, 0)

    async def state(self, trap_id: str, session_id: str, *, user: str) -> SessionState:
        record = await self._load(trap_id, session_id, user=user)
        if record.committed:
            return SessionState(record, record.size_bytes)
        offset, _ = _contiguous(await self.blobs.staged_blocks(STAGING, _BLOCKS + record.id))
        return SessionState(record, offset)

    async def write(self, trap_id: str, session_id: str, start: int, data: bytes, *, user: str,
                    notify: Notify) -> SessionState:
        """Stage one chunk at byte ``start`` (which must be the current offset); the chunk
        that completes the file also completes the session."""
        state = await self.state(trap_id, session_id, user=user)
        record = state.record
        if start != state.offset_bytes:
            raise OffsetMismatch(f"the session is at byte {state.offset_bytes}, the chunk starts at {start}: "
                                 f"resume from {state.offset_bytes}")
        if start + len(data) > record.size_bytes:
            raise OffsetMismatch(f"the chunk ends at byte {start + len(data)}, past the declared size "
                                 f"{record.size_bytes}")
        if data:
            await self.blobs.stage_block(STAGING, _BLOCKS + record.id, _block_id(start), data)
            state.offset_bytes = start + len(data)
            record.expires_at = utc_now() + timedelta(seconds=self.ttl_s)
            await self._save(record)
        if state.offset_bytes == record.size_bytes:
            state.result = await self.complete(trap_id, session_id, user=user, notify=notify)
        return state

    async def complete(self, trap_id: str, session_id: str, *, user: str, notify: Notify) -> FileResult:
        """Join, verify and classify the file; the session is dropped unless the pipeline
        could not store it now (``not_stored``, ``storage_full``: complete again later)."""
        lock = self._completing.setdefault(session_id, asyncio.Lock())
        async with lock:
            try:
                return await self._complete(trap_id, session_id, user=user, notify=notify)
            finally:
                self._completing.pop(session_id, None)

    async def _complete(self, trap_id: str, session_id: str, *, user: str, notify: Notify) -> FileResult:
        record = await self._load(trap_id, session_id, user=user)
        name = _BLOCKS + record.id
        if not record.committed:
            offset, ids = _contiguous(await self.blobs.staged_blocks(STAGING, name))
            if offset != record.size_bytes:
                raise Incomplete(f"{offset} of {record.size_bytes} bytes received: resume from {offset}")
            await self.blobs.commit_blocks(STAGING, name, ids, content_type="application/octet-stream",
                                           overwrite=True)
            record.committed = True
            await self._save(record)
        try:
            data = await self.blobs.get(STAGING, name)
        except NotFound as exc:  # the blob went (another replica finished it): start over
            await self.drop(record.id)
            raise SessionNotFound("the upload session has ended; open a new one") from exc
        digest = hashlib.sha256(data).hexdigest()
        if len(data) != record.size_bytes or digest != record.sha256:
            await self.drop(record.id)
            raise HashMismatch(f"the received bytes ({len(data)}, sha256 {digest}) are not the declared file "
                               f"({record.size_bytes}, sha256 {record.sha256}); send it again")
        recorder = self.pipeline.recorder(trap_id)
        await recorder.expect(1)
        outcome = await self.pipeline.stage(trap_id, record.file_name, data, user=user, notify=notify)
        result = await self.pipeline.finish(recorder, outcome, notify=notify)
        retry_later = result.error is not None and result.error.code in (ErrorCode.NOT_STORED, ErrorCode.STORAGE_FULL)
        if not retry_later:
            await self.drop(record.id)
        return result

    async def drop(self, session_id: str) -> None:
        """Forget a session and its bytes (staged or committed)."""
        name = _BLOCKS + session_id
        await self.blobs.discard_blocks(STAGING, name)
        await self.blobs.delete(STAGING, name)
        await self.blobs.delete(STAGING, f"{_RECORDS}{session_id}.json")

    async def sweep(self) -> int:
        """Drop every expired session; returns how many. Safe on several replicas at once."""
        dropped, now = 0, utc_now()
        for name in await self.blobs.list_names(STAGING, _RECORDS):
            session_id = name.removeprefix(_RECORDS).removesuffix(".json")
            try:
                record = SessionRecord.model_validate_json(await self.blobs.get(STAGING, name))
            except NotFound:
                continue  # finished meanwhile
            except ValueError:
                log.warning("unreadable upload session record %s dropped", name)
                record = None
            if record is None or record.expires_at <= now:
                await self.drop(session_id)
                dropped += 1
        return dropped

    async def _save(self, record: SessionRecord) -> None:
        body = json.dumps(record.model_dump(mode="json")).encode()
        await self.blobs.put(STAGING, f"{_RECORDS}{record.id}.json", body, content_type="application/json",
                             overwrite=True)

    async def _load(self, trap_id: str, session_id: str, *, user: str) -> SessionRecord:
        try:
            record = SessionRecord.model_validate_json(await self.blobs.get(STAGING, f"{_RECORDS}{session_id}.json"))
        except NotFound:
            record = None
        if record is None or record.trap_id != trap_id or record.user != user or record.expires_at <= utc_now():
            raise SessionNotFound("no such upload session (it may have expired or finished); open a new one")
        return record
