"""gateway -> ingest: the rows of an export, streamed by ingest as NDJSON (one ``ExportItem``
a line) from keyset pages of the media listing.

Ingest builds each row at the precision the gateway asks for (``ExportPrecision``): a
coarse row carries no GPS and names nobody. Rows never carry a trap position: positions
are the deployments', which the gateway renders through the caller's view. The gateway
copies rows into its own public models per precision before writing any file format.
"""

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ailurus_common.domain import Group, MediaStatus
from ailurus_common.errors import ErrorCode
from ailurus_common.records import Gps, ModelRef

EXPORT_MEDIA_TYPE = "application/x-ndjson"
# What a coarse row says instead of a reviewer's name.
REVIEWER_ROLE = "reviewer"


class ExportPrecision(StrEnum):
    EXACT = "exact"
    COARSE = "coarse"


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExportLabel(Row):
    """The label an export reports for a media: the latest human one where reviewed, else
    the latest machine one."""

    group: Group
    label: str | None = None
    confidence: float | None = Field(default=None, ge=0, le=1)
    method: Literal["machine", "human"]
    classified_by: str = Field(description="model name:version; for a human label the reviewer's id (exact) "
                                           "or the role 'reviewer' (coarse).")
    classified_at: datetime
    model: ModelRef | None = Field(default=None, description="The model of the latest machine label.")


class ExportItem(Row):
    """One media as every export format needs it."""

    id: str
    deployment_id: str
    file_name: str
    media_type: str
    timestamp: datetime = Field(description="UTC capture time (upload time without EXIF).")
    timestamp_source: Literal["exif", "upload"]
    status: MediaStatus
    error_code: ErrorCode | None = None
    sequence_id: str | None = None
    width: int | None = None
    height: int | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    label: ExportLabel | None = None
    shows_people: bool = Field(description="A label or review says human: personal data, never shared as a file.")
    has_thumbnail: bool
    # Exact rows only.
    gps: Gps | None = None
    uploaded_by: str | None = None
    # Where the files are (the gateway reads them for include_media; never written to a file).
    blob_original: str
    blob_thumbnail: str | None = None
