"""gateway -> ingest: the bodies the gateway sends and the answers ingest returns.

These carry exact positions: they never leave the cluster. The gateway turns every answer
into its own public model for the caller's precision (``gateway.views``).
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from ailurus_common.domain import Group, MediaStatus
from ailurus_common.records import (
    MEDIA_ID_PATTERN,
    TRAP_ID_PATTERN,
    ZONE_SCHEMA,
    Deployment,
    ErrorInfo,
    ExifInfo,
    Instant,
    MachinePrediction,
    Media,
    TrapFields,
    known_zone,
)
from ailurus_common.storage.blob import ORIGINAL_PATH_PATTERN


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# traps ---------------------------------------------------------------------------------
class TrapCreate(TrapFields):
    """``POST /traps``; the id is derived from the name when omitted."""

    id: str | None = Field(default=None, pattern=TRAP_ID_PATTERN)


class TrapUpdate(Body):
    """``PATCH /traps/{id}``: only the fields sent change. A field a trap always has may be
    left out but not sent as null (the schema says so: no null among its types)."""

    name: Annotated[str, Field(min_length=1, max_length=200)] | SkipJsonSchema[None] = None
    latitude: Annotated[float, Field(ge=-90, le=90, strict=True)] | SkipJsonSchema[None] = None
    longitude: Annotated[float, Field(ge=-180, le=180, strict=True)] | SkipJsonSchema[None] = None
    elevation_m: float | None = Field(default=None, ge=-500, le=9000, strict=True)
    timezone: Annotated[str, Field(json_schema_extra=ZONE_SCHEMA)] | SkipJsonSchema[None] = None
    clock_offset_s: Annotated[float, Field(ge=-10 * 365 * 86400, le=10 * 365 * 86400, strict=True)] | \
        SkipJsonSchema[None] = None
    start: Instant | None = None
    end: Instant | None = None
    notes: str | None = Field(default=None, max_length=4000)

    _zone = field_validator("timezone")(classmethod(lambda cls, value: known_zone(value)))

    @model_validator(mode="after")
    def _required_fields_not_null(self) -> "TrapUpdate":
        # Omitted = unchanged; null clears an optional field. A trap always has these.
        nulled = [name for name in _REQUIRED_ON_TRAP if name in self.model_fields_set and getattr(self, name) is None]
        if nulled:
            raise ValueError(f"{', '.join(nulled)} cannot be null (leave a field out to keep it)")
        return self


_REQUIRED_ON_TRAP = ("name", "latitude", "longitude", "timezone", "clock_offset_s")


class TrapDetail(Deployment):
    """A deployment with what it has recorded (``GET /v1/traps/{id}?counts=true``)."""

    counts: dict[Group, int] = Field(default_factory=dict, description="Classified media per taxonomy group.")
    media_count: int = 0


class TrapList(Body):
    items: list[Deployment]


# media ---------------------------------------------------------------------------------
class Classification(Body):
    """What preprocess found, recorded by ingest (idempotent per model version)."""

    exif: ExifInfo
    prediction: MachinePrediction
    blob_thumbnail: str | None = None


class NewMedia(Body):
    """A stored original and what became of it in the same upload: classified, or pending
    with the transient error that stopped it (the retry worker finishes it)."""

    id: str = Field(pattern=MEDIA_ID_PATTERN)
    file_name: str = Field(max_length=255)
    media_type: str
    size_bytes: int = Field(ge=0)
    blob_original: str = Field(pattern=ORIGINAL_PATH_PATTERN)
    uploaded_by: str
    classification: Classification | None = None
    error: ErrorInfo | None = None


class MediaBatch(Body):
    """``POST /v1/traps/{trap_id}/media``: the originals of one upload, recorded in one
    write; ingest puts capture times in the trap's time zone and groups bursts."""

    items: list[NewMedia] = Field(min_length=1, max_length=1000)


class Recorded(Body):
    id: str
    status: Literal["recorded", "duplicate"] = Field(
        description="duplicate: a media with these bytes exists (in any trap); nothing was changed.")


class MediaBatchResult(Body):
    items: list[Recorded] = Field(description="One per item sent, in order.")


class FailureIn(Body):
    error: ErrorInfo
    final: bool = Field(description="True: status failed. False: stays pending, retried later.")


class LeaseIn(Body):
    """``POST /v1/media/{id}/lease``: a retry worker asks to hold a pending media."""

    holder: str = Field(min_length=1, max_length=200, description="The worker (replica) asking.")
    duration_s: float = Field(gt=0, le=3600)


class ReviewIn(Body):
    """A reviewer confirms or corrects the label: a human observation is added."""

    group: Group
    label: str | None = Field(default=None, max_length=200)


class Review(ReviewIn):
    """What the gateway sends ingest: the review and who made it (from the token)."""

    reviewer: str = Field(max_length=200)


class MediaPage(Body):
    items: list[Media]
    next_cursor: str | None


# review queue --------------------------------------------------------------------------
ReviewPriority = Literal["sensitive", "low_confidence", "rest"]
# Queue order: possible sightings of a sensitive group, then low confidence, then the rest.
REVIEW_PRIORITIES: tuple[ReviewPriority, ...] = ("sensitive", "low_confidence", "rest")


class ReviewBurst(Body):
    """One burst (sequence) of a trap with its unreviewed frames, oldest first: reviewed at once."""

    sequence_id: str
    deployment_id: str
    priority: ReviewPriority = Field(description="The highest priority of any of its frames.")
    media: list[Media]
    more_frames: bool = Field(description="The burst has more unreviewed frames than one page shows: they come "
                                          "back once these are reviewed.")


class ReviewCounts(Body):
    """Unreviewed classified media left, each counted at its own priority."""

    total: int
    sensitive: int
    low_confidence: int
    rest: int


class ReviewQueuePage(Body):
    items: list[ReviewBurst]
    next_cursor: str | None
    counts: ReviewCounts


class ReviewDecision(Body):
    """One media of a bulk review: confirm the machine label (no group) or correct it."""

    media_id: str = Field(pattern=MEDIA_ID_PATTERN)
    group: Group | None = Field(default=None, description="The right group; leave out to confirm the machine label.")
    label: str | None = Field(default=None, max_length=200)


class ReviewDecisionsIn(Body):
    """A bulk review (``POST /api/v1/review-queue/decisions``): one human observation per media."""

    items: list[ReviewDecision] = Field(min_length=1, max_length=500)


class ReviewDecisions(ReviewDecisionsIn):
    """What the gateway sends ingest: the decisions and who made them (from the token)."""

    reviewer: str = Field(max_length=200)


class ReviewDecided(Body):
    media_id: str
    status: Literal["recorded", "not_found", "not_classified"] = Field(
        description="not_found: no such media; not_classified: no machine label to confirm yet.")
    observation_id: str | None = Field(default=None, description="The human observation added (to undo it).")
    media: Media | None = None


class ReviewDecisionResults(Body):
    items: list[ReviewDecided] = Field(description="One per decision sent, in order.")


class ReviewUndoItem(Body):
    media_id: str = Field(pattern=MEDIA_ID_PATTERN)
    observation_id: str = Field(min_length=1, max_length=64)


class ReviewUndoIn(Body):
    """``POST /api/v1/review-queue/undo``: take back one's own reviews."""

    items: list[ReviewUndoItem] = Field(min_length=1, max_length=500)


class ReviewUndo(ReviewUndoIn):
    """What the gateway sends ingest: the reviews to take back and whose they are."""

    reviewer: str = Field(max_length=200)


class ReviewUndone(Body):
    media_id: str
    status: Literal["undone", "not_found"] = Field(
        description="not_found: no such media, or no review of this reviewer with that id on it.")
    media: Media | None = None


class ReviewUndoResults(Body):
    items: list[ReviewUndone] = Field(description="One per item sent, in order.")


class DeletedMedia(Body):
    """A media deleted (the change feed's tombstone). What it was when deleted decides who
    hears of it: a caller who could not see it then is never told it is gone."""

    id: str
    deployment_id: str
    deleted_at: Instant
    status: MediaStatus
    group: Group | None = None


class ChangePage(Body):
    """A page of the change feed: media created or changed after the cursor and media deleted
    after it, oldest change first, and the cursor to resume from (never null: the last change
    read, or the one asked). A deletion in ``deleted`` came before any write of the same id in
    ``items`` (a media stored again after its deletion)."""

    items: list[Media]
    deleted: list[DeletedMedia] = Field(default_factory=list)
    cursor: str


class PendingCount(Body):
    pending: int


# map and analytics ---------------------------------------------------------------------
class PointGeometry(Body):
    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float] = Field(description="[longitude, latitude] (GeoJSON order).")


class TrapProperties(Body):
    id: str
    name: str
    elevation_m: float | None = None
    counts: dict[Group, int] = Field(description="Classified media per group in the window.")
    total: int


class TrapFeature(Body):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: PointGeometry
    properties: TrapProperties


class TrapCollection(Body):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[TrapFeature]


class Heatmap(Body):
    group: Group
    points: list[tuple[float, float, int]] = Field(description="[latitude, longitude, weight] per trap with sightings.")


MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class MonthlyHeatmap(Body):
    """Sightings per trap and calendar month (UTC), from the daily counters: what coarse
    callers' heatmaps are built from, so that every answer is a sum of whole (cell, month)
    figures and no two time windows can be differenced below a month."""

    group: Group
    points: list[tuple[float, float, str, int]] = Field(
        description="[latitude, longitude, month YYYY-MM, weight] per trap and month with sightings.")


class DayCounts(Body):
    day: str = Field(description="YYYY-MM-DD (UTC).")
    counts: dict[Group, int]


class TrapCounts(Body):
    trap_id: str
    name: str
    counts: dict[Group, int]


class HistogramBin(Body):
    lo: float
    hi: float
    count: int


class ReviewShare(Body):
    model: str = Field(description="Model name:version that made the machine labels.")
    machine: int = Field(description="Media whose latest machine label came from this model.")
    confirmed: int = Field(description="...of which a reviewer confirmed the label.")
    corrected: int = Field(description="...of which a reviewer changed the label.")


class Analytics(Body):
    per_day: list[DayCounts] = Field(description="Oldest first.")
    per_trap: list[TrapCounts]
    by_hour: list[int] = Field(description="Classified media per local hour of capture, 0-23.")
    confidence_histogram: list[HistogramBin]
    review_share: list[ReviewShare]
