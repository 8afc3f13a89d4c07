"""``POST /api/v1/traps/{trap_id}/images``: many files in one multipart request."""

import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from ailurus_common.auth import Role
from ailurus_common.errors import ErrorCode
from ailurus_common.records import TRAP_ID_PATTERN
from gateway.api.deps import IngestDep, PipelineDep, ProgressDep, SettingsDep, UserDep
from gateway.auth import require
from gateway.errors import NoFiles
from gateway.metrics import UPLOAD_BATCH_SECONDS
from gateway.multipart import FilePart, file_parts
from gateway.progress import UPLOAD_ID_PATTERN
from gateway.schemas import FileResult, UploadResponse

router = APIRouter(tags=["images"])


@router.post("/traps/{trap_id}/images", response_model=UploadResponse, dependencies=[Depends(require(Role.UPLOADER))],
             openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["files"], "properties": {"files": {
                     "type": "array", "minItems": 1, "items": {"type": "string", "format": "binary"}}}}}}}})
async def upload_images(request: Request, pipeline: PipelineDep, ingest: IngestDep, settings: SettingsDep,
                        user: UserDep, progress: ProgressDep, trap_id: str = Path(pattern=TRAP_ID_PATTERN),
                        upload_id: Annotated[str | None, Query(pattern=UPLOAD_ID_PATTERN)] = None) -> UploadResponse:
    """Store, record and classify every file of the repeated ``files`` field.

    One result per file, in request order. A bad file is rejected on its own; it never
    fails the batch. With ``upload_id`` (32 hex digits chosen by the client), per-file
    progress streams from ``GET /api/v1/uploads/{upload_id}/events`` while this runs.
    """
    start = time.perf_counter()
    await ingest.get_trap(trap_id)  # 404 before reading any file; ingest checks it again on its one write
    limiter = asyncio.Semaphore(settings.fanout_concurrency)
    recorder = pipeline.recorder(trap_id)
    tasks: list[asyncio.Task] = []

    def notifier(index: int):
        if upload_id is None:
            return lambda _: None
        return lambda event: progress.publish(upload_id, user, {"index": index, **event})

    async def one(index: int, part: FilePart) -> FileResult:
        notify = notifier(index)
        try:
            if part.data is None:
                outcome = pipeline.refuse(part.filename, ErrorCode.TOO_LARGE, f"the file has {part.size_bytes} bytes; "
                                                                             f"the limit is {settings.max_file_bytes}")
            elif index >= settings.max_files_per_request:
                outcome = pipeline.refuse(part.filename, ErrorCode.TOO_MANY_FILES,
                                          f"at most {settings.max_files_per_request} files per request")
            else:
                outcome = await pipeline.stage(trap_id, part.filename, part.data, user=user, notify=notify)
        finally:
            limiter.release()
        return await pipeline.finish(recorder, outcome, notify=notify)

    try:
        # Back-pressure: the next file is read from the body only when a fan-out slot is free,
        # so at most fanout_concurrency (+1 arriving) files are in memory at once.
        async for part in file_parts(request, field_name="files", max_file_bytes=settings.max_file_bytes):
            await limiter.acquire()
            notifier(len(tasks))({"filename": part.filename, "status": "received"})
            tasks.append(asyncio.create_task(one(len(tasks), part)))
        if not tasks:
            raise NoFiles("send the images as the repeated multipart field 'files'")
        await recorder.expect(len(tasks))
        results = list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        raise
    finally:
        if upload_id is not None:
            progress.finish(upload_id, user)
    UPLOAD_BATCH_SECONDS.observe(time.perf_counter() - start)
    return UploadResponse(results=results)
