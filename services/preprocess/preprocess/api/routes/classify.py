"""``POST /v1/classify``: one image, as a raw body or as the single file of a multipart form."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.datastructures import UploadFile

from ailurus_common.contracts.classify import CLASSIFY_PATH, ClassifyResult
from ailurus_common.errors import ErrorCode
from ailurus_common.records import MEDIA_ID_PATTERN
from preprocess.api.deps import PipelineDep
from preprocess.errors import EmptyFile, ImageError

router = APIRouter(tags=["classify"])

_ERROR_RESPONSES = {
    400: {"description": "empty_file, no_file, bad_request"},
    413: {"description": "too_large, too_many_pixels"},
    415: {"description": "unsupported_format"},
    422: {"description": "corrupt_image, bad_dimensions, invalid_request"},
    503: {"description": "classifier_unavailable, storage_unavailable (with Retry-After)"},
}


async def _read_image_bytes(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return await request.body()
    # One file per call: the gateway fans batches out, so Triton batches across calls.
    async with request.form(max_files=1, max_fields=4) as form:
        files = [v for v in form.values() if isinstance(v, UploadFile)]
        if not files:
            raise ImageError("the multipart form holds no file", code=ErrorCode.NO_FILE, status_code=400)
        return await files[0].read()


@router.post(CLASSIFY_PATH, response_model=ClassifyResult, responses=_ERROR_RESPONSES)
async def classify(request: Request, pipeline: PipelineDep,
                   media_id: Annotated[str | None, Query(pattern=MEDIA_ID_PATTERN)] = None) -> ClassifyResult:
    """Decode, orient, read EXIF, resize and classify one image; with ``media_id`` (the
    sha256 of the bytes) also store its thumbnail as ``processed/<media_id>.jpg``.

    The format is sniffed from the content; the file name and declared type are not trusted.
    """
    data = await _read_image_bytes(request)
    if not data:
        raise EmptyFile("the file is empty (0 bytes)")
    return await pipeline.classify(data, media_id=media_id)
