"""``/api/v1/media``: records from ingest, original and thumbnail bytes from the blob store."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from ailurus_common.auth import Role
from ailurus_common.contracts import ReviewIn
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.records import MEDIA_ID_PATTERN, TRAP_ID_PATTERN
from ailurus_common.storage.blob import PROCESSED
from ailurus_common.storage.errors import NotFound
from gateway.api.deps import BlobsDep, IngestDep, PrivacyDep, UserDep
from gateway.auth import require
from gateway.errors import BlobMissing, OriginalRestricted

router = APIRouter(prefix="/media", tags=["media"])
MediaId = Path(pattern=MEDIA_ID_PATTERN)
# Stored bytes are only ever served as an image, never sniffed into HTML or script.
_SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox",
                 "Cache-Control": "private, max-age=86400, immutable"}
_IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/tiff", "image/bmp", "image/gif", "image/heic"}


@router.get("", dependencies=[Depends(require(Role.VIEWER))])
async def list_media(
    ingest: IngestDep, privacy: PrivacyDep,
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
    page = await ingest.call("GET", "/v1/media", params=params)
    return {**page, "items": [privacy.media(m) for m in page["items"]]} if privacy else page


@router.get("/{media_id}", dependencies=[Depends(require(Role.VIEWER))])
async def get_media(ingest: IngestDep, privacy: PrivacyDep, media_id: str = MediaId) -> dict:
    media = await ingest.call("GET", f"/v1/media/{media_id}")
    return privacy.media(media) if privacy else media


async def _blob_response(blobs, container: str, name: str, media_type: str) -> Response:
    try:
        data = await blobs.get(container, name)
    except NotFound:
        raise BlobMissing(f"{container}/{name} is not stored") from None
    safe_type = media_type if media_type in _IMAGE_TYPES else "application/octet-stream"
    return Response(data, media_type=safe_type, headers=_SAFE_HEADERS)


@router.get("/{media_id}/original", response_class=Response, dependencies=[Depends(require(Role.REVIEWER))])
async def get_original(ingest: IngestDep, blobs: BlobsDep, privacy: PrivacyDep, media_id: str = MediaId) -> Response:
    """The exact uploaded bytes (reviewers and admins: they carry the camera's GPS)."""
    if privacy:  # a partner's app token with the reviewer role
        raise OriginalRestricted("originals carry exact positions: signed-in reviewers and admins only; "
                                 "use the thumbnail")
    media = await ingest.call("GET", f"/v1/media/{media_id}")
    container, _, name = media["blob_original"].partition("/")
    return await _blob_response(blobs, container, name, media["media_type"])


@router.get("/{media_id}/thumbnail", response_class=Response, dependencies=[Depends(require(Role.VIEWER))])
async def get_thumbnail(ingest: IngestDep, blobs: BlobsDep, media_id: str = MediaId) -> Response:
    media = await ingest.call("GET", f"/v1/media/{media_id}")
    if not media.get("blob_thumbnail"):
        raise BlobMissing("no thumbnail yet (the image is not classified)")
    return await _blob_response(blobs, PROCESSED, media["blob_thumbnail"], "image/jpeg")


@router.post("/{media_id}/review", status_code=201, dependencies=[Depends(require(Role.REVIEWER))])
async def review(body: ReviewIn, ingest: IngestDep, user: UserDep, media_id: str = MediaId) -> dict:
    """Confirm or correct the label: adds a human observation beside the machine one."""
    review_body = body.model_copy(update={"reviewer": user})
    return await ingest.call("POST", f"/v1/media/{media_id}/review", json=review_body.model_dump(mode="json"))
