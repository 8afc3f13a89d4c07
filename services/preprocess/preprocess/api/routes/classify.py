"""``POST /v1/classify``: one image, as a raw body or as the single file of a multipart form."""

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile

from preprocess.api.deps import PipelineDep
from preprocess.errors import EmptyFile, ImageError
from preprocess.schemas import ClassifyResponse

router = APIRouter(tags=["classify"])

_ERROR_RESPONSES = {
    400: {"description": "empty_file, bad_request"},
    413: {"description": "too_large, too_many_pixels"},
    415: {"description": "unsupported_format"},
    422: {"description": "corrupt_image, bad_dimensions"},
    503: {"description": "classifier_unavailable (with Retry-After)"},
}


async def _read_image_bytes(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return await request.body()
    # One file per call: the gateway fans batches out, so Triton batches across calls.
    async with request.form(max_files=1, max_fields=4) as form:
        files = [v for v in form.values() if isinstance(v, UploadFile)]
        if not files:
            raise ImageError("the multipart form holds no file", code="no_file", status_code=400)
        return await files[0].read()


@router.post("/v1/classify", response_model=ClassifyResponse, responses=_ERROR_RESPONSES)
async def classify(request: Request, pipeline: PipelineDep, thumbnail: bool = False) -> ClassifyResponse:
    """Decode, orient, read EXIF, resize and classify one image.

    The format is sniffed from the content; the file name and declared type are not trusted.
    """
    data = await _read_image_bytes(request)
    if not data:
        raise EmptyFile("the file is empty (0 bytes)")
    return await pipeline.classify(data, thumbnail=thumbnail)
