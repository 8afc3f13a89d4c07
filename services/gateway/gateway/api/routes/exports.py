"""``/api/v1/exports/{camtrap-dp,megadetector,csv}``: a media query as a file, streamed.

The query takes the media list's filters; the caller's view decides the precision ingest
builds the rows at, which rows there are (a coarse caller's export is computed as if
sensitive sightings did not exist) and which fields and files reach the caller.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from ailurus_common.auth import Role
from ailurus_common.contracts.exports import ExportItem, ExportPrecision
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.records import TRAP_ID_PATTERN, Instant
from ailurus_common.storage.errors import NotFound
from gateway.api.deps import BlobsDep, IngestDep, SettingsDep, ViewDep
from gateway.auth import require
from gateway.errors import InvalidQuery
from gateway.exports import camtrap_dp, csv_table, megadetector
from gateway.exports.context import Entries, ExportContext, Trap
from gateway.schemas import MegaDetectorResults
from gateway.views import ExactView, FileLocation, View

router = APIRouter(prefix="/exports", tags=["exports"])


@dataclass(frozen=True)
class ExportQuery:
    trap_id: str | None
    groups: list[Group]
    status: MediaStatus | None
    label: str | None
    min_confidence: float | None
    start: datetime | None
    end: datetime | None
    reviewed_only: bool


def export_query(
    trap_id: Annotated[str | None, Query(pattern=TRAP_ID_PATTERN)] = None,
    group: Annotated[list[Group], Query(description="Only media labelled in one of these groups (repeatable).")] = [],  # noqa: B006
    status: MediaStatus | None = None, label: Annotated[str | None, Query(max_length=200)] = None,
    min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
    start: Annotated[Instant | None, Query(alias="from")] = None,
    end: Annotated[Instant | None, Query(alias="to")] = None,
    reviewed_only: Annotated[bool, Query(description="Only media a reviewer confirmed or corrected.")] = False,
) -> ExportQuery:
    if start and end and start >= end:
        raise InvalidQuery("'from' must be before 'to'")
    return ExportQuery(trap_id=trap_id, groups=group, status=status, label=label, min_confidence=min_confidence,
                       start=start, end=end, reviewed_only=reviewed_only)


QueryDep = Annotated[ExportQuery, Depends(export_query)]


def _context(request: Request, view: View, settings, *, include_media: bool = False) -> ExportContext:
    exact = isinstance(view, ExactView)
    return ExportContext(precision=view.precision, cell_deg=None if exact else view.policy.cell_deg,
                         api_url=str(request.base_url).rstrip("/") + "/api/v1", created=datetime.now(UTC),
                         project_title=settings.export_project_title, publisher=settings.export_publisher,
                         include_media=include_media)


async def _open(ingest, view: View, query: ExportQuery) -> tuple[dict[str, Trap], Entries, AsyncExitStack]:
    """The traps (at the caller's precision) and the row stream; ingest's refusals (an
    unknown trap) are raised here, before the answer starts. The stack holds the stream open:
    the answer closes it (call this last, so nothing can fail between it and the answer)."""
    traps = {d.id: view.trap(d) for d in (await ingest.list_traps()).items
             if query.trap_id is None or d.id == query.trap_id}
    stack = AsyncExitStack()
    precision = ExportPrecision.EXACT if isinstance(view, ExactView) else ExportPrecision.COARSE
    items = await stack.enter_async_context(ingest.export_media(
        precision=precision, trap_id=query.trap_id, groups=query.groups, status=query.status, label=query.label,
        min_confidence=query.min_confidence, start=query.start, end=query.end,
        reviewed_only=query.reviewed_only, exclude_groups=view.hidden_groups,
        exclude_pending=view.hides_unlabelled))
    return traps, _entries(items, view), stack


async def _entries(items: AsyncIterator[ExportItem], view: View) -> Entries:
    async for item in items:
        row = view.export_row(item)
        if row is not None:
            yield row, view.export_file(item)


def _stream(body: AsyncIterator[bytes], stack: AsyncExitStack, media_type: str, file_name: str,
            view: View) -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        try:
            async for chunk in body:
                yield chunk
        finally:
            await stack.aclose()
    headers = {"Content-Disposition": f'attachment; filename="{file_name}"', "X-Location-Precision": view.precision,
               "Cache-Control": "no-store"}
    return StreamingResponse(chunks(), media_type=media_type, headers=headers)


def _file_name(extension: str) -> str:
    return f"ailurus-export-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.{extension}"


def _reader(blobs) -> Callable:
    async def read(location: FileLocation) -> bytes | None:
        try:
            return await blobs.get(*location)
        except NotFound:
            return None
    return read


def _responses(media_type: str, description: str) -> dict:
    return {200: {"content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
                  "description": description}}


@router.get("/camtrap-dp", response_class=StreamingResponse, dependencies=[Depends(require(Role.VIEWER))],
            responses=_responses(camtrap_dp.MEDIA_TYPE, "A Camtrap DP 1.0.2 package (zip)."))
async def export_camtrap_dp(request: Request, query: QueryDep, ingest: IngestDep, blobs: BlobsDep, view: ViewDep,
                            settings: SettingsDep,
                            include_media: Annotated[bool, Query(description=(
                                "Put the files in the package: originals for reviewers and admins, thumbnails for "
                                "others; never a file that shows people."))] = False) -> StreamingResponse:
    """Deployments, media and observations of the query as a Camtrap DP 1.0.2 package, at
    the caller's precision (``coordinatePrecision`` says which)."""
    context = _context(request, view, settings, include_media=include_media)
    traps, entries, stack = await _open(ingest, view, query)
    body = camtrap_dp.camtrap_dp_zip(entries, traps, context, _reader(blobs))
    return _stream(body, stack, camtrap_dp.MEDIA_TYPE, _file_name("zip"), view)


@router.get("/megadetector", response_class=StreamingResponse, dependencies=[Depends(require(Role.VIEWER))],
            responses={200: {"model": MegaDetectorResults, "description": "MegaDetector batch output, format 1.6."}})
async def export_megadetector(request: Request, query: QueryDep, ingest: IngestDep, view: ViewDep,
                              settings: SettingsDep) -> StreamingResponse:
    """The query's labels as a MegaDetector batch output file (Timelapse, AddaxAI)."""
    context = _context(request, view, settings)
    _, entries, stack = await _open(ingest, view, query)
    body = megadetector.megadetector_json(entries, context)
    return _stream(body, stack, megadetector.MEDIA_TYPE, _file_name("json"), view)


@router.get("/csv", response_class=StreamingResponse, dependencies=[Depends(require(Role.VIEWER))],
            responses=_responses(csv_table.MEDIA_TYPE, "One row per media."))
async def export_csv(request: Request, query: QueryDep, ingest: IngestDep, view: ViewDep,
                     settings: SettingsDep) -> StreamingResponse:
    """One row per media: trap (at the caller's precision), time, label and where it came from."""
    context = _context(request, view, settings)
    traps, entries, stack = await _open(ingest, view, query)
    body = csv_table.csv_table(entries, traps, context)
    return _stream(body, stack, csv_table.MEDIA_TYPE + "; charset=utf-8", _file_name("csv"), view)
