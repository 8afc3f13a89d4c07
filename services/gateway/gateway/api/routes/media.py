"""``/api/v1/media``: records from ingest, original and thumbnail bytes from the blob store."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from ailurus_common.contracts import ReviewIn
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.records import MEDIA_ID_PATTERN, TRAP_ID_PATTERN
from ailurus_common.storage.blob import PROCESSED
from ailurus_common.storage.errors import NotFound
from gateway.api.deps import BlobsDep, IngestDep, UserDep
from gateway.errors import BlobMissing

router = APIRouter(prefix="/media", tags=["media"])
MediaId = Path(pattern=MEDIA_ID_PATTERN)
# Stored bytes are only ever served as an image, never sniffed into HTML or script.
_SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox",
                 "Cache-Control": "private, max-age=86400, immutable"}
_IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/tiff", "image/bmp", "image/gif", "image/heic"}


@router.get("")
async def list_media(
    ingest: IngestDep,
    trap_id: Annotated[str | None, Query(pattern=TRAP_ID_PATTERN)] = None,
    group: Group | None = None, label: Annotated[str | None, Query(max_length=200)] = None,
    status: MediaStatus | None = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> dict:
    params = {"trap_id": trap_id, "group": group, "label": label, "status": status,
              "from": start.isoformat() if start else None, "to": end.isoformat() if end else None,
              "min_confidence": min_confidence, "limit": limit, "cursor": cursor}
    return await ingest.call("GET", "/v1/media", params=params)


@router.get("/{media_id}")
async def get_media(ingest: IngestDep, media_id: str = MediaId) -> dict:
    return await ingest.call("GET", f"/v1/media/{media_id}")


async def _blob_response(blobs, container: str, name: str, media_type: str) -> Response:
    try:
        data = await blobs.get(container, name)
    except NotFound:
        raise BlobMissing(f"{container}/{name} is not stored") from None
    safe_type = media_type if media_type in _IMAGE_TYPES else "application/octet-stream"
    return Response(data, media_type=safe_type, headers=_SAFE_HEADERS)


@router.get("/{media_id}/original", response_class=Response)
async def get_original(ingest: IngestDep, blobs: BlobsDep, media_id: str = MediaId) -> Response:
    """The exact uploaded bytes."""
    media = await ingest.call("GET", f"/v1/media/{media_id}")
    container, _, name = media["blob_original"].partition("/")
    return await _blob_response(blobs, container, name, media["media_type"])


@router.get("/{media_id}/thumbnail", response_class=Response)
async def get_thumbnail(ingest: IngestDep, blobs: BlobsDep, media_id: str = MediaId) -> Response:
    media = await ingest.call("GET", f"/v1/media/{media_id}")
    if not media.get("blob_thumbnail"):
        raise BlobMissing("no thumbnail yet (the image is not classified)")
    return await _blob_response(blobs, PROCESSED, media["blob_thumbnail"], "image/jpeg")


@router.post("/{media_id}/review", status_code=201)
async def review(body: ReviewIn, ingest: IngestDep, user: UserDep, media_id: str = MediaId) -> dict:
    """Confirm or correct the label: adds a human observation beside the machine one."""
    review_body = body.model_copy(update={"reviewer": user})
    return await ingest.call("POST", f"/v1/media/{media_id}/review", json=review_body.model_dump(mode="json"))
