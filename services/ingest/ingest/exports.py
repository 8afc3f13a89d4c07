"""Export rows: every media matching a query, one ``ExportItem`` each, built page by page
from the store's keyset listing so that an export of any size holds one page in memory."""

from collections.abc import AsyncIterator

from ailurus_common.contracts.exports import REVIEWER_ROLE, ExportItem, ExportLabel, ExportPrecision
from ailurus_common.records import Media, MediaFilter
from ingest.store.base import MetadataStore


def export_label(media: Media, precision: ExportPrecision) -> ExportLabel | None:
    """The label reported: the latest human one where reviewed, else the latest machine one."""
    chosen = media.current_observation()
    if chosen is None:
        return None
    classified_by = chosen.classified_by
    if chosen.method == "human" and precision is ExportPrecision.COARSE:
        classified_by = REVIEWER_ROLE  # who looked at which trap when is not a coarse caller's business
    return ExportLabel(group=chosen.group, label=chosen.label, confidence=chosen.confidence, method=chosen.method,
                       classified_by=classified_by, classified_at=chosen.classified_at, model=media.model)


def export_item(media: Media, precision: ExportPrecision) -> ExportItem:
    """One media as an export row at ``precision`` (coarse: no GPS, no uploader)."""
    exact = precision is ExportPrecision.EXACT
    return ExportItem(
        id=media.id, deployment_id=media.deployment_id, file_name=media.file_name, media_type=media.media_type,
        timestamp=media.timestamp, timestamp_source=media.timestamp_source, status=media.status,
        error_code=media.error.code if media.error else None, sequence_id=media.sequence_id,
        width=media.exif.width, height=media.exif.height, camera_make=media.exif.make,
        camera_model=media.exif.model, label=export_label(media, precision), shows_people=media.shows_people(),
        has_thumbnail=media.blob_thumbnail is not None, gps=media.exif.gps if exact else None,
        uploaded_by=media.uploaded_by if exact else None, blob_original=media.blob_original,
        blob_thumbnail=media.blob_thumbnail)


async def export_items(store: MetadataStore, filters: MediaFilter, *, precision: ExportPrecision,
                       page_size: int) -> AsyncIterator[ExportItem]:
    """Every media matching ``filters``, newest first, read ``page_size`` at a time."""
    cursor = None
    while True:
        page, cursor = await store.list_media(filters, limit=page_size, cursor=cursor)
        for media in page:
            yield export_item(media, precision)
        if cursor is None:
            return


async def export_lines(items: AsyncIterator[ExportItem]) -> AsyncIterator[bytes]:
    """NDJSON: one row a line, sent a page at a time (fewer, larger writes than one a row)."""
    chunk: list[bytes] = []
    async for item in items:
        chunk.append(item.model_dump_json().encode() + b"\n")
        if len(chunk) >= 100:
            yield b"".join(chunk)
            chunk = []
    if chunk:
        yield b"".join(chunk)
