"""``POST /api/v1/traps/{trap_id}/images``: many files in one multipart request."""

import asyncio
import time

from fastapi import APIRouter, Path, Request
from starlette.datastructures import UploadFile

from ailurus_common.records import TRAP_ID_PATTERN
from gateway.api.deps import IngestDep, PipelineDep, SettingsDep, UserDep
from gateway.errors import NoFiles, TooManyFiles
from gateway.metrics import UPLOAD_BATCH_SECONDS
from gateway.schemas import UploadResponse

router = APIRouter(tags=["images"])


@router.post("/traps/{trap_id}/images", response_model=UploadResponse,
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
                 "type": "object", "properties": {"files": {"type": "array", "items": {
                     "type": "string", "format": "binary"}}}}}}}})
async def upload_images(request: Request, pipeline: PipelineDep, ingest: IngestDep, settings: SettingsDep,
                        user: UserDep, trap_id: str = Path(pattern=TRAP_ID_PATTERN)) -> UploadResponse:
    """Store, record and classify every file of the repeated ``files`` field.

    One result per file, in request order. A bad file is rejected on its own; it never
    fails the batch.
    """
    start = time.perf_counter()
    await ingest.call("GET", f"/v1/traps/{trap_id}")  # 404 before reading any file
    async with request.form(max_files=settings.max_files_per_request + 1, max_fields=16) as form:
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        if not files:
            raise NoFiles("send the images as the repeated multipart field 'files'")
        if len(files) > settings.max_files_per_request:
            raise TooManyFiles(f"at most {settings.max_files_per_request} files per request")
        limiter = asyncio.Semaphore(settings.fanout_concurrency)

        async def one(upload: UploadFile):
            async with limiter:  # bounds memory too: a file is read only when its turn comes
                data = await upload.read()
                return await pipeline.upload_one(trap_id, upload.filename or "unnamed", data, user=user)

        results = list(await asyncio.gather(*(one(f) for f in files)))
    await pipeline.regroup(results)
    UPLOAD_BATCH_SECONDS.observe(time.perf_counter() - start)
    return UploadResponse(results=results)
