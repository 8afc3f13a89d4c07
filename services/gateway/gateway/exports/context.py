"""What every export writer is handed besides its rows."""

import math
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from gateway.schemas import EXACT, ExportRowCoarse, ExportRowExact, TrapCoarse, TrapExact
from gateway.views import FileLocation

ExportRow = ExportRowExact | ExportRowCoarse
Trap = TrapExact | TrapCoarse
# One media of the export: its row, and the file the caller may have inside the package (None: none).
Entry = tuple[ExportRow, FileLocation | None]
Entries = AsyncIterator[Entry]
# Reads a stored file; None when it is not there (any more).
ReadFile = Callable[[FileLocation], Awaitable[bytes | None]]

# Metres per degree of latitude (WGS84 mean): for an honest coordinateUncertainty of a cell centre.
METRES_PER_DEGREE = 111_320.0
# An export's output leaves in chunks of about this size.
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class ExportContext:
    """The caller's precision and the package's metadata."""

    precision: str  # "exact", or the grid cell positions were snapped to ("cell:0.1deg")
    cell_deg: float | None  # the cell size of a coarse export; None for exact
    api_url: str  # the public API base (".../api/v1"), for file paths that point at the API
    created: datetime
    project_title: str
    publisher: str
    include_media: bool = False

    @property
    def exact(self) -> bool:
        return self.precision == EXACT

    def uncertainty_m(self, latitude: float) -> int | None:
        """How far the true position may lie from a cell centre: half the cell's diagonal
        (None for exact positions: their uncertainty is not known)."""
        if self.cell_deg is None:
            return None
        half_lat_m = self.cell_deg / 2 * METRES_PER_DEGREE
        half_lon_m = half_lat_m * math.cos(math.radians(latitude))
        return max(1, math.ceil(math.hypot(half_lat_m, half_lon_m)))


def local_time(moment: datetime, zone: str) -> str:
    """ISO 8601 to the second with the UTC offset of the trap's time zone at that moment."""
    return moment.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds")


_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/tiff": ".tif",
               "image/heic": ".heic", "image/heif": ".heif", "image/gif": ".gif"}


def file_name_in_package(row: ExportRow, media_type: str) -> str:
    """A media's file inside an export: by trap and content hash (unique; no name the
    uploader chose becomes a path)."""
    return f"media/{row.deployment_id}/{row.id}{_EXTENSIONS.get(media_type, '.bin')}"
