"""Request bodies that cross a service boundary: the public trap API (validated at the
gateway, again at ingest) and ingest's internal API (the gateway is its client)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ailurus_common.domain import Group
from ailurus_common.records import (
    MEDIA_ID_PATTERN,
    TRAP_ID_PATTERN,
    ErrorInfo,
    ExifInfo,
    LabelScore,
    ModelRef,
    TrapFields,
)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TrapCreate(TrapFields):
    """``POST /traps``; the id is derived from the name when omitted."""

    id: str | None = Field(default=None, pattern=TRAP_ID_PATTERN)


class TrapUpdate(Body):
    """``PATCH /traps/{id}``: only the fields sent change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    elevation_m: float | None = Field(default=None, ge=-500, le=9000)
    timezone: str | None = None
    clock_offset_s: float | None = Field(default=None, ge=-10 * 365 * 86400, le=10 * 365 * 86400)
    start: datetime | None = None
    end: datetime | None = None
    notes: str | None = Field(default=None, max_length=4000)


class MediaCreate(Body):
    """A stored original, recorded as pending before the upload is acknowledged."""

    id: str = Field(pattern=MEDIA_ID_PATTERN)
    deployment_id: str = Field(pattern=TRAP_ID_PATTERN)
    file_name: str = Field(max_length=255)
    media_type: str
    size_bytes: int = Field(ge=0)
    blob_original: str
    uploaded_by: str


class MachinePrediction(Body):
    group: Group
    label: str
    confidence: float = Field(ge=0, le=1)
    blank: bool
    top_k: list[LabelScore]
    model: ModelRef


class ClassificationIn(Body):
    """What preprocess found, recorded by ingest (idempotent per model version)."""

    exif: ExifInfo
    prediction: MachinePrediction
    blob_thumbnail: str | None = None


class FailureIn(Body):
    error: ErrorInfo
    final: bool = Field(description="True: status failed. False: stays pending, retried later.")


class ReviewIn(Body):
    """A reviewer confirms or corrects the label: a human observation is added."""

    group: Group
    label: str | None = Field(default=None, max_length=200)
    reviewer: str | None = Field(default=None, max_length=200, description="Set by the gateway from the token.")


class SequenceRebuild(Body):
    """Media just recorded together: ingest regroups bursts over the time they span."""

    media_ids: list[str] = Field(max_length=5000)
