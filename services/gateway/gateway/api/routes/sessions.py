"""Resumable uploads, one file per session (``gateway.sessions`` holds the rules):

- ``POST /api/v1/traps/{trap_id}/uploads/sessions`` declares the file (name, size, SHA-256);
- ``PUT .../sessions/{session_id}`` sends one chunk (``Content-Range: bytes START-END/SIZE``);
- ``GET``/``HEAD .../sessions/{session_id}`` tells the offset to resume from (``Upload-Offset``);
- ``POST .../sessions/{session_id}/complete`` finishes a file whose last chunk arrived but
  whose completion did not answer (the last ``PUT`` completes on its own);
- ``DELETE .../sessions/{session_id}`` gives up (the staged bytes go).
"""

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request, Response, status

from ailurus_common.auth import Role
from ailurus_common.errors import AilurusError, ErrorCode
from ailurus_common.records import TRAP_ID_PATTERN
from gateway.api.deps import IngestDep, SessionsDep, SettingsDep, UserDep
from gateway.auth import require
from gateway.schemas import FileResult, UploadSessionCreate, UploadSessionState
from gateway.sessions import SESSION_ID_PATTERN, SessionState

router = APIRouter(tags=["images"], dependencies=[Depends(require(Role.UPLOADER))])

TrapId = Annotated[str, Path(pattern=TRAP_ID_PATTERN)]
SessionId = Annotated[str, Path(pattern=SESSION_ID_PATTERN)]
_RANGE = re.compile(r"^bytes (?:(\d+)-(\d+)|\*)/(\d+)$")
BASE = "/traps/{trap_id}/uploads/sessions"


class InvalidContentRange(AilurusError):
    status_code = 400
    code = ErrorCode.INVALID_CONTENT_RANGE


def _answer(state: SessionState, settings, response: Response) -> UploadSessionState:
    record = state.record
    response.headers["Upload-Offset"] = str(state.offset_bytes)
    response.headers["Cache-Control"] = "no-store"
    return UploadSessionState(session_id=record.id, file_name=record.file_name, size_bytes=record.size_bytes,
                              offset_bytes=state.offset_bytes, chunk_bytes=settings.upload_chunk_bytes,
                              expires_at=record.expires_at, result=state.result)


@router.post(BASE, response_model=UploadSessionState, status_code=status.HTTP_201_CREATED,
             responses={200: {"model": UploadSessionState, "description": "Stored already: nothing to send"}})
async def open_session(body: UploadSessionCreate, sessions: SessionsDep, ingest: IngestDep, settings: SettingsDep,
                       user: UserDep, response: Response, trap_id: TrapId) -> UploadSessionState:
    """Open a session for one file. When these bytes are stored already the answer is 200
    with no session and ``result.status`` ``duplicate``: a file already received is never
    sent twice."""
    await ingest.get_trap(trap_id)
    if body.size_bytes > settings.max_file_bytes:
        raise AilurusError(f"the file has {body.size_bytes} bytes; the limit is {settings.max_file_bytes}",
                           code=ErrorCode.TOO_LARGE, status_code=413)
    if await sessions.stored_media(body.sha256):
        response.status_code = status.HTTP_200_OK
        return UploadSessionState(file_name=body.file_name, size_bytes=body.size_bytes, offset_bytes=body.size_bytes,
                                  chunk_bytes=settings.upload_chunk_bytes,
                                  result=FileResult(filename=body.file_name, status="duplicate", media_id=body.sha256))
    state = await sessions.open(trap_id, user=user, file_name=body.file_name, size_bytes=body.size_bytes,
                                sha256=body.sha256)
    response.headers["Location"] = f"/api/v1{BASE.format(trap_id=trap_id)}/{state.record.id}"
    return _answer(state, settings, response)


@router.get(BASE + "/{session_id}", response_model=UploadSessionState)
@router.head(BASE + "/{session_id}", response_model=UploadSessionState)
async def session_state(sessions: SessionsDep, settings: SettingsDep, user: UserDep, response: Response,
                        trap_id: TrapId, session_id: SessionId) -> UploadSessionState:
    """Where the session stands: resume at ``offset_bytes`` (also the ``Upload-Offset`` header)."""
    return _answer(await sessions.state(trap_id, session_id, user=user), settings, response)


@router.put(BASE + "/{session_id}", response_model=UploadSessionState,
            openapi_extra={"requestBody": {"required": True, "content": {"application/octet-stream": {
                "schema": {"type": "string", "format": "binary"}}}}})
async def put_chunk(request: Request, sessions: SessionsDep, settings: SettingsDep, user: UserDep, response: Response,
                    trap_id: TrapId, session_id: SessionId,
                    content_range: Annotated[str, Header(description="bytes START-END/SIZE (END inclusive); "
                                                                      "bytes */SIZE with no body completes")]
                    ) -> UploadSessionState:
    """Send the chunk that starts at the session's offset (``upload_offset_mismatch`` with
    the offset otherwise). The chunk that completes the file answers with its ``result``."""
    match = _RANGE.match(content_range.strip())
    if match is None:
        raise InvalidContentRange("Content-Range must be 'bytes START-END/SIZE'")
    data = await request.body()  # bounded by the body limit of this route (max_chunk_bytes)
    first, last, total = match.groups()
    state = await sessions.state(trap_id, session_id, user=user)
    if int(total) != state.record.size_bytes:
        raise InvalidContentRange(f"the session's file has {state.record.size_bytes} bytes, not {total}")
    if first is None:
        if data:
            raise InvalidContentRange("'bytes */SIZE' carries no body")
        start = state.offset_bytes
    else:
        start = int(first)
        if int(last) - start + 1 != len(data):
            raise InvalidContentRange(f"the range names {int(last) - start + 1} bytes, the body has {len(data)}")
    if len(data) > settings.max_chunk_bytes:
        raise AilurusError(f"a chunk is at most {settings.max_chunk_bytes} bytes", code=ErrorCode.TOO_LARGE,
                           status_code=413)
    try:
        state = await sessions.write(trap_id, session_id, start, data, user=user, notify=lambda _: None)
    except AilurusError as exc:
        if exc.code is ErrorCode.UPLOAD_OFFSET_MISMATCH:
            current = await sessions.state(trap_id, session_id, user=user)
            exc.headers = {"Upload-Offset": str(current.offset_bytes)}
        raise
    return _answer(state, settings, response)


@router.post(BASE + "/{session_id}/complete", response_model=UploadSessionState)
async def complete_session(sessions: SessionsDep, settings: SettingsDep, user: UserDep, response: Response,
                           trap_id: TrapId, session_id: SessionId) -> UploadSessionState:
    """Store and classify the file whose bytes have all arrived (as a multipart upload of it would)."""
    state = await sessions.state(trap_id, session_id, user=user)
    state.result = await sessions.complete(trap_id, session_id, user=user, notify=lambda _: None)
    state.offset_bytes = state.record.size_bytes
    return _answer(state, settings, response)


@router.delete(BASE + "/{session_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def cancel_session(sessions: SessionsDep, user: UserDep, trap_id: TrapId, session_id: SessionId) -> Response:
    """Give the session up; its staged bytes are deleted."""
    await sessions.state(trap_id, session_id, user=user)  # 404 unless it is the caller's
    await sessions.drop(session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
