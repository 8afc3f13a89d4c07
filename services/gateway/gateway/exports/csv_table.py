"""CSV: one row per media with its chosen label, the trap at the caller's precision and the
capture time with the trap's UTC offset."""

import csv
import io
from collections.abc import AsyncIterator

from gateway.exports.context import CHUNK_BYTES, Entries, ExportContext, Trap, local_time

MEDIA_TYPE = "text/csv"
FIELDS = ["media_id", "file_name", "trap_id", "trap_name", "latitude", "longitude", "location_precision",
          "captured_at", "timestamp_source", "status", "group", "label", "confidence", "label_source",
          "classified_by", "model", "sequence_id", "shows_people"]


async def csv_table(entries: Entries, traps: dict[str, Trap], context: ExportContext) -> AsyncIterator[bytes]:
    """The table's bytes, in chunks, as the rows arrive."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    async for row, _ in entries:
        trap = traps.get(row.deployment_id)
        if trap is None:  # deleted while the export ran
            continue
        label = row.label
        model = label.model if label else None
        writer.writerow([
            row.id, row.file_name, trap.id, trap.name, f"{trap.latitude:.6f}", f"{trap.longitude:.6f}",
            context.precision, local_time(row.timestamp, trap.timezone), row.timestamp_source, row.status,
            label.group if label else "", (label.label or "") if label else "",
            "" if not label or label.confidence is None else f"{label.confidence:.6g}",
            label.method if label else "", label.classified_by if label else "",
            f"{model.name}:{model.version}" if model else "", row.sequence_id or "",
            "true" if row.shows_people else "false"])
        if out.tell() >= CHUNK_BYTES:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()
