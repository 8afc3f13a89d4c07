"""``/v1/exports/media``: the rows of an export, streamed as NDJSON."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from ailurus_common.contracts.exports import EXPORT_MEDIA_TYPE, ExportPrecision
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.records import MediaFilter
from ingest.api.deps import SettingsDep, StoreDep
from ingest.errors import InvalidQuery
from ingest.exports import export_items, export_lines
from ingest.recording import deployment_or_404

router = APIRouter(prefix="/v1", tags=["exports"])


@router.get("/exports/media", response_class=StreamingResponse,
            responses={200: {"content": {EXPORT_MEDIA_TYPE: {}}, "description": "One ExportItem a line."}})
async def export_media(
    store: StoreDep, settings: SettingsDep, precision: ExportPrecision,
    trap_id: str | None = None,
    group: Annotated[list[Group], Query(description="Only media currently in one of these groups.")] = [],  # noqa: B006
    status: MediaStatus | None = None, label: str | None = None,
    min_confidence: Annotated[float | None, Query(ge=0, le=1)] = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    reviewed_only: bool = False,
    exclude_group: Annotated[list[Group], Query(description="Left out as if they did not exist.")] = [],  # noqa: B006
    exclude_pending: bool = False,
) -> StreamingResponse:
    """Every matching media, newest first, at ``precision``; checked before the first byte
    (a bad query or an unknown trap is an error answer, never a cut stream)."""
    if start and end and start >= end:
        raise InvalidQuery("'from' must be before 'to'")
    if trap_id is not None:
        await deployment_or_404(store, trap_id)
    filters = MediaFilter(deployment_id=trap_id, groups=group, status=status, label=label,
                          min_confidence=min_confidence, start=start, end=end,
                          reviewed_only=reviewed_only, exclude_groups=exclude_group,
                          exclude_pending=exclude_pending)
    items = export_items(store, filters, precision=precision, page_size=settings.export_page_size)
    return StreamingResponse(export_lines(items), media_type=EXPORT_MEDIA_TYPE)
