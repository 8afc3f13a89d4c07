"""``/api/v1/media``: records from ingest (through the caller's view), original and
thumbnail bytes from the blob store."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from ailurus_common.auth import Role
from ailurus_common.contracts.ingest import Review, ReviewIn
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.records import MEDIA_ID_PATTERN, TRAP_ID_PATTERN, Instant, Media
from ailurus_common.sniff import IMAGE_MEDIA_TYPES
from ailurus_common.storage.blob import PROCESSED, original_location
from ailurus_common.storage.errors import NotFound
from gateway.api.deps import BlobsDep, IngestDep, UserDep, ViewDep
from gateway.auth import require
from gateway.errors import BlobMissing, MediaNotFound, OriginalRestricted, PersonalData
from gateway.schemas import MediaCoarse, MediaExact, MediaPageCoarse, MediaPageExact
from gateway.views import ExactView

router = APIRouter(prefix="/media", tags=["media"])
MediaId = Path(pattern=MEDIA_ID_PATTERN)
# Stored bytes are only ever served as an image, never sniffed into HTML or script.
_SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox",
                 "Cache-Control": "private, max-age=86400, immutable"}
_IMAGE_RESPONSE = {200: {"content": {t: {} for t in sorted(IMAGE_MEDIA_TYPES)}, "description": "The image bytes."}}


@router.get("", response_model=MediaPageExact | MediaPageCoarse, dependencies=[Depends(require(Role.VIEWER))])
async def list_media(
    ingest: IngestDep, view: ViewDep,
    trap_id: Annotated[str | None, Query(pattern=TRAP_ID_PATTERN)] = None,
    group: Group | None = None, label: Annotated[str | None, Query(max_length=200)] = None,
    status: MediaStatus | None = None,
    start: Annotated[Instant | None, Query(alias="from")] = None,
    end: Annotated[Instant | None, Query(alias="to")] = None,
    min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> MediaPageExact | MediaPageCoarse:
    page = await ingest.list_media(trap_id=trap_id, group=group, label=label, status=status, start=start, end=end,
                                   min_confidence=min_confidence, limit=limit, cursor=cursor,
                                   exclude_groups=view.hidden_groups, exclude_pending=view.hides_unlabelled)
    return view.media_page(page)


async def _visible_media(ingest, view, media_id: str) -> Media:
    """The record, if this caller may see it; a hidden one answers exactly like a missing one."""
    media = await ingest.get_media(media_id)
    if not view.visible(media):
        raise MediaNotFound(f"no media {media_id}")
    return media


@router.get("/{media_id}", response_model=MediaExact | MediaCoarse, dependencies=[Depends(require(Role.VIEWER))])
async def get_media(ingest: IngestDep, view: ViewDep, media_id: str = MediaId) -> MediaExact | MediaCoarse:
    return view.media(await _visible_media(ingest, view, media_id))


async def _blob_response(blobs, container: str, name: str, media_type: str) -> Response:
    try:
        data = await blobs.get(container, name)
    except NotFound:
        raise BlobMissing(f"{container}/{name} is not stored") from None
    safe_type = media_type if media_type in IMAGE_MEDIA_TYPES else "application/octet-stream"
    return Response(data, media_type=safe_type, headers=_SAFE_HEADERS)


@router.get("/{media_id}/original", response_class=Response, responses=_IMAGE_RESPONSE,
            dependencies=[Depends(require(Role.REVIEWER))])
async def get_original(ingest: IngestDep, blobs: BlobsDep, view: ViewDep, media_id: str = MediaId) -> Response:
    """The exact uploaded bytes (reviewers and admins: they carry the camera's GPS)."""
    if not isinstance(view, ExactView):  # a partner's app token with the reviewer role
        raise OriginalRestricted("originals carry exact positions: signed-in reviewers and admins only; "
                                 "use the thumbnail")
    media = await ingest.get_media(media_id)
    location = original_location(media.blob_original)
    if location is None:  # a record must point at an original, never at another container
        raise BlobMissing("this record names no stored original")
    return await _blob_response(blobs, *location, media.media_type)


@router.get("/{media_id}/thumbnail", response_class=Response, responses=_IMAGE_RESPONSE,
            dependencies=[Depends(require(Role.VIEWER))])
async def get_thumbnail(ingest: IngestDep, blobs: BlobsDep, view: ViewDep, media_id: str = MediaId) -> Response:
    media = await _visible_media(ingest, view, media_id)
    if not media.blob_thumbnail:
        raise BlobMissing("no thumbnail yet (the image is not classified)")
    if not view.shows_thumbnail(media):
        raise PersonalData("this image is labelled as showing people: personal data, for signed-in reviewers and "
                           "admins only")
    return await _blob_response(blobs, PROCESSED, media.blob_thumbnail, "image/jpeg")


@router.post("/{media_id}/review", status_code=201, response_model=MediaExact | MediaCoarse,
             dependencies=[Depends(require(Role.REVIEWER))])
async def review(body: ReviewIn, ingest: IngestDep, view: ViewDep, user: UserDep,
                 media_id: str = MediaId) -> MediaExact | MediaCoarse:
    """Confirm or correct the label: adds a human observation beside the machine one.
    A coarse reviewer (a partner's app) can neither see nor review a sensitive sighting,
    and is not shown the record once it has labelled one sensitive."""
    await _visible_media(ingest, view, media_id)
    media = await ingest.review(media_id, Review(**body.model_dump(), reviewer=user))
    if not view.visible(media):
        raise MediaNotFound(f"no media {media_id}")
    return view.media(media)
