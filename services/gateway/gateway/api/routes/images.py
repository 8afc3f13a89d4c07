"""``POST /api/v1/traps/{trap_id}/images``: many files in one multipart request."""

import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.datastructures import UploadFile

from ailurus_common.auth import Role
from ailurus_common.records import TRAP_ID_PATTERN
from gateway.api.deps import IngestDep, PipelineDep, ProgressDep, SettingsDep, UserDep
from gateway.auth import require
from gateway.errors import NoFiles, TooManyFiles
from gateway.metrics import UPLOAD_BATCH_SECONDS
from gateway.progress import UPLOAD_ID_PATTERN
from gateway.schemas import UploadResponse

router = APIRouter(tags=["images"])


@router.post("/traps/{trap_id}/images", response_model=UploadResponse, dependencies=[Depends(require(Role.UPLOADER))],
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
                 "type": "object", "properties": {"files": {"type": "array", "items": {
                     "type": "string", "format": "binary"}}}}}}}})
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
    async with request.form(max_files=settings.max_files_per_request + 1, max_fields=16) as form:
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        if not files:
            raise NoFiles("send the images as the repeated multipart field 'files'")
        if len(files) > settings.max_files_per_request:
            raise TooManyFiles(f"at most {settings.max_files_per_request} files per request")
        limiter = asyncio.Semaphore(settings.fanout_concurrency)
        recorder = pipeline.recorder(trap_id, files=len(files))

        def notifier(index: int):
            if upload_id is None:
                return lambda _: None
            return lambda event: progress.publish(upload_id, user, {"index": index, **event})

        async def one(index: int, upload: UploadFile):
            name = upload.filename or "unnamed"
            notifier(index)({"filename": name, "status": "received"})
            async with limiter:  # bounds memory too: a file is read only when its turn comes
                data = await upload.read()
                staged = await pipeline.stage(trap_id, name, data, user=user, notify=notifier(index))
            return await pipeline.finish(recorder, staged, notify=notifier(index))

        try:
            results = list(await asyncio.gather(*(one(i, f) for i, f in enumerate(files))))
        finally:
            if upload_id is not None:
                progress.finish(upload_id, user)
    UPLOAD_BATCH_SECONDS.observe(time.perf_counter() - start)
    return UploadResponse(results=results)
