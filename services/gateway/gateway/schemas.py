"""Public response bodies of the gateway: the contract partners code against.

Every response is an allow-list. Where a record carries a position, each precision has its
own model: ``*Exact`` for signed-in reviewers and admins, ``*Coarse`` for everyone else
(viewers, uploaders, every app-only token). A field that is not in a coarse model cannot
reach a coarse caller, whichever route returns it; ``extra="forbid"`` makes building one
from anything else fail loudly. ``gateway.views`` is the only place that builds them.
"""

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ailurus_common.contracts.ml import DATASET_ID_PATTERN
from ailurus_common.contracts.work import MODEL_KEY_PATTERN
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.errors import ErrorCode
from ailurus_common.records import Gps, LabelScore, MachinePrediction, ModelRef

EXACT = "exact"
COARSE_PATTERN = r"^cell:"
Coarse = Field(pattern=COARSE_PATTERN, description="Grid cell the position was snapped to, e.g. cell:0.1deg.")


class Public(BaseModel):
    model_config = ConfigDict(extra="forbid")


# errors --------------------------------------------------------------------------------
class ErrorBody(Public):
    code: ErrorCode
    message: str


class ErrorResponse(Public):
    """Every 4xx/5xx: ``{error: {code, message}}``; ``Retry-After`` on 429 and 503."""

    error: ErrorBody


# traps ---------------------------------------------------------------------------------
class _TrapCommon(Public):
    id: str
    name: str
    timezone: str
    start: datetime | None = None
    end: datetime | None = None
    created_at: datetime
    updated_at: datetime


class TrapExact(_TrapCommon):
    latitude: float
    longitude: float
    elevation_m: float | None = None
    clock_offset_s: float = 0.0
    notes: str | None = None
    location_precision: Literal["exact"] = EXACT


class TrapCoarse(_TrapCommon):
    latitude: float = Field(description="Centre of the grid cell holding the trap.")
    longitude: float = Field(description="Centre of the grid cell holding the trap.")
    location_precision: str = Coarse


class TrapDetailExact(TrapExact):
    counts: dict[Group, int] = Field(description="Classified media per taxonomy group.")
    media_count: int


class TrapDetailCoarse(TrapCoarse):
    counts: dict[Group, int] = Field(description="Classified media per group; never sensitive groups (they are "
                                                 "shown to coarse callers only on the heatmap, per cell and month).")


class TrapPageExact(Public):
    items: list[TrapExact]


class TrapPageCoarse(Public):
    items: list[TrapCoarse]


# media ---------------------------------------------------------------------------------
class _ExifCommon(Public):
    make: str | None = None
    model: str | None = None
    captured_at_local: str | None = None
    width: int | None = None
    height: int | None = None
    orientation: int | None = None
    format: str | None = None


class ExifExact(_ExifCommon):
    gps: Gps | None = None


class ExifCoarse(_ExifCommon):
    """No GPS: the camera's position is the trap's exact position."""


class _ObservationCommon(Public):
    id: str
    group: Group
    label: str | None = None
    confidence: float | None = None
    blank: bool = False
    method: Literal["machine", "human"]
    model: ModelRef | None = Field(default=None, description="The model that made a machine label.")
    classified_at: datetime


class ObservationExact(_ObservationCommon):
    top_k: list[LabelScore]
    classified_by: str = Field(description="model name:version, or the reviewer's user id")


class ObservationCoarse(_ObservationCommon):
    """No reviewer named (who was looking at which trap when is not a coarse caller's
    business), and no top-k: a runner-up label can name a sensitive species."""


class _MediaCommon(Public):
    id: str
    deployment_id: str
    file_name: str
    media_type: str
    size_bytes: int
    timestamp: datetime
    timestamp_source: Literal["exif", "upload"]
    uploaded_at: datetime
    status: MediaStatus
    error: ErrorBody | None = None
    sequence_id: str | None = None
    capture_hour: int | None = None
    group: Group | None = None
    label: str | None = None
    confidence: float | None = None
    model: ModelRef | None = None
    review_state: Literal["confirmed", "corrected"] | None = None
    has_thumbnail: bool
    updated_at: datetime


class MediaExact(_MediaCommon):
    exif: ExifExact
    uploaded_by: str
    observations: list[ObservationExact]
    location_precision: Literal["exact"] = EXACT


class MediaCoarse(_MediaCommon):
    """No GPS, and no people named (uploader, reviewers)."""

    exif: ExifCoarse
    observations: list[ObservationCoarse]
    location_precision: str = Coarse


class MediaPageExact(Public):
    items: list[MediaExact]
    next_cursor: str | None


class MediaPageCoarse(Public):
    items: list[MediaCoarse]
    next_cursor: str | None


# review queue --------------------------------------------------------------------------
class ReviewBurstOut(Public):
    """One burst of a trap with its unreviewed frames, oldest first: confirmed or corrected at once."""

    sequence_id: str
    deployment_id: str
    priority: Literal["sensitive", "low_confidence", "rest"] = Field(
        description="sensitive: a possible sighting of a sensitive group in some frame (anywhere in its top-k); "
                    "low_confidence: a frame's label is unsure; rest: everything else.")
    media: list[MediaExact]
    more_frames: bool = Field(description="More unreviewed frames than shown: they come back once these are reviewed.")


class ReviewCountsOut(Public):
    """Unreviewed classified media left, each counted at its own priority."""

    total: int
    sensitive: int
    low_confidence: int
    rest: int


class ReviewQueueOut(Public):
    items: list[ReviewBurstOut]
    next_cursor: str | None
    counts: ReviewCountsOut
    location_precision: Literal["exact"] = EXACT


class ReviewDecidedOut(Public):
    media_id: str
    status: Literal["recorded", "not_found", "not_classified"]
    observation_id: str | None = Field(default=None, description="The review added: send it to undo to take it back.")
    media: MediaExact | None = None


class ReviewDecisionsOut(Public):
    items: list[ReviewDecidedOut] = Field(description="One per decision sent, in order.")


class ReviewUndoneOut(Public):
    media_id: str
    status: Literal["undone", "not_found"] = Field(
        description="not_found: no such media, or no review of yours with that id on it.")
    media: MediaExact | None = None


class ReviewUndoOut(Public):
    items: list[ReviewUndoneOut] = Field(description="One per item sent, in order.")


class DeletedOut(Public):
    """A media deleted since the cursor (the same for every precision: no position in it)."""

    id: str
    deployment_id: str
    deleted_at: datetime


_DELETED = ("Media deleted after `since` that this caller could see when they were deleted. Apply them before "
            "`items`: a media stored again after its deletion appears in `items`.")


class ChangePageExact(Public):
    """A page of the change feed for a signed-in reviewer or admin."""

    items: list[MediaExact] = Field(description="Media created or changed after `since`, oldest change first; a "
                                                "media changed again later appears again then, with its new state.")
    deleted: list[DeletedOut] = Field(description=_DELETED)
    cursor: str = Field(description="Pass as `since` for the next page (also when this page is empty).")
    has_more: bool = Field(description="Whether the next page already has changes (else: poll later).")


class ChangePageCoarse(Public):
    """A page of the change feed for everyone else: coarse media records, and never a media
    in a sensitive group or one not yet labelled."""

    items: list[MediaCoarse] = Field(description="Media created or changed after `since`, oldest change first. A "
                                                 "media that moves into a sensitive group is simply not sent again "
                                                 "(no removal notice: that would say where a red panda was).")
    deleted: list[DeletedOut] = Field(description=_DELETED)
    cursor: str = Field(description="Pass as `since` for the next page (also when this page is empty).")
    has_more: bool = Field(description="Whether the next page already has changes (else: poll later).")


# map -----------------------------------------------------------------------------------
class Point(Public):
    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float] = Field(description="[longitude, latitude] (GeoJSON order).")


class _TrapPropertiesCommon(Public):
    id: str
    name: str
    counts: dict[Group, int]
    total: int


class TrapPropertiesExact(_TrapPropertiesCommon):
    elevation_m: float | None = None
    location_precision: Literal["exact"] = EXACT


class TrapPropertiesCoarse(_TrapPropertiesCommon):
    location_precision: str = Coarse


class TrapFeatureExact(Public):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: Point
    properties: TrapPropertiesExact


class TrapFeatureCoarse(Public):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: Point = Field(description="The centre of the trap's grid cell.")
    properties: TrapPropertiesCoarse


class TrapMapExact(Public):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[TrapFeatureExact]


class TrapMapCoarse(Public):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[TrapFeatureCoarse]


class HeatmapOut(Public):
    group: Group
    points: list[tuple[float, float, int]] = Field(description="[latitude, longitude, weight]: one per trap (exact) "
                                                               "or per grid cell (coarse).")
    precision: str = Field(description="'exact', or the grid cell the points were summed in.")
    time_bin: Literal["month"] | None = Field(
        default=None, description="Coarse answers for sensitive groups: the window is widened to whole UTC months, "
                                  "each (cell, month) counts only with the minimum number of sightings, and no "
                                  "confidence filter applies.")


# uploads -------------------------------------------------------------------------------
class FileResult(Public):
    """One uploaded file's outcome, in request order."""

    filename: str
    status: Literal["classified", "duplicate", "pending", "rejected"] = Field(
        description="classified: stored, recorded and labelled; duplicate: same bytes recorded before (no new record); "
                    "pending: stored and recorded, labelled later; rejected: not stored, see error.")
    media_id: str | None = None
    error: ErrorBody | None = None
    prediction: MachinePrediction | None = None


class UploadResponse(Public):
    results: list[FileResult]


class UploadSessionCreate(Public):
    """A file about to be sent in chunks, declared up front."""

    file_name: str = Field(min_length=1, max_length=255)
    size_bytes: int = Field(ge=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the whole file, lowercase hex.")


class UploadSessionState(Public):
    """Where a resumable upload stands. ``session_id`` is null when nothing needs sending:
    the bytes are stored already (``result.status`` is ``duplicate``)."""

    session_id: str | None = None
    file_name: str
    size_bytes: int
    offset_bytes: int = Field(description="Bytes received so far: the next chunk starts here.")
    chunk_bytes: int = Field(description="The chunk size to send (at most the per-chunk limit).")
    expires_at: datetime | None = None
    result: FileResult | None = Field(default=None, description="Set once the file is complete: what a multipart "
                                                                "upload of it would have answered.")


class FieldCheckPoint(Public):
    """Where and when one photo was taken, from its EXIF (read in the uploader's browser)."""

    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    taken_at: datetime | None = Field(default=None, description="The camera's time; without an offset it is "
                                                                 "the trap's local time (as the EXIF clock writes it).")


class FieldCheckRequest(Public):
    points: list[FieldCheckPoint] = Field(min_length=1, max_length=50)


class FieldCheckResult(Public):
    """One photo against the trap: yes/no answers and a distance in whole km when far,
    never the trap's position (a coarse caller sees only its cell)."""

    far: bool | None = Field(description="GPS farther from the trap than the configured distance (basis exact) "
                                         "or outside its grid cell (basis cell); null: no GPS.")
    distance_km: int | None = Field(default=None, description="Only when far: the distance rounded to whole km.")
    outside_active_period: bool | None = Field(description="The time lies before the trap's start or after its "
                                                           "end; null: no time, or the trap has no period.")


class FieldCheckResponse(Public):
    distance_m: float = Field(description="The distance beyond which a photo counts as far (basis exact).")
    basis: Literal["exact", "cell"] = Field(description="exact: far from the trap's position (reviewers, admins); "
                                                        "cell: outside the trap's grid cell, distance to its centre "
                                                        "(every other caller: no more than they may see).")
    results: list[FieldCheckResult]


# dashboard -----------------------------------------------------------------------------
class UiConfig(Public):
    tile_url: str = Field(description="Leaflet tile URL template; empty: no base map.")
    tile_attribution: str
    telemetry: bool = Field(default=False, description="The dashboard reports its timings and errors "
                                                       "(POST /api/v1/telemetry); false: it sends nothing.")
    field_check_distance_m: float = Field(default=1000.0, description="The upload page warns when a photo's "
                                                                      "GPS is farther than this from its trap.")


# browser telemetry ----------------------------------------------------------------------
class BrowserEventKind(StrEnum):
    PAGE_LOAD = "page_load"
    UPLOAD = "upload"
    ERROR = "error"


class BrowserEvent(Public):
    """One measurement or error from the dashboard. Only what is needed to find a slow page
    or a broken one: no URLs (a query can hold a position), no user agent."""

    kind: BrowserEventKind
    page: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$", description="The dashboard page (route name).")
    duration_ms: float = Field(default=0, ge=0, le=86_400_000)
    message: str | None = Field(default=None, max_length=300,
                                description="For errors: the message (numbers are masked before it is kept).")
    files: int | None = Field(default=None, ge=0, le=100_000, description="For uploads: how many files.")


class BrowserTelemetry(Public):
    events: list[BrowserEvent] = Field(min_length=1, max_length=50)


class TelemetryReceipt(Public):
    accepted: int = Field(description="Events taken.")
    recorded: bool = Field(description="False when tracing is off: the events were dropped.")


# exports -------------------------------------------------------------------------------
class _ExportLabelCommon(Public):
    group: Group
    label: str | None = None
    confidence: float | None = None
    method: Literal["machine", "human"]
    classified_at: datetime
    model: ModelRef | None = None


class ExportLabelExact(_ExportLabelCommon):
    classified_by: str = Field(description="model name:version, or the reviewer's user id")


class ExportLabelCoarse(_ExportLabelCommon):
    classified_by: str = Field(description="model name:version, or the role 'reviewer' (nobody named)")


class _ExportRowCommon(Public):
    id: str
    deployment_id: str
    file_name: str
    media_type: str
    timestamp: datetime
    timestamp_source: Literal["exif", "upload"]
    status: MediaStatus
    error_code: ErrorCode | None = None
    sequence_id: str | None = None
    width: int | None = None
    height: int | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    shows_people: bool
    has_thumbnail: bool


class ExportRowExact(_ExportRowCommon):
    """One media of an export for a signed-in reviewer or admin."""

    label: ExportLabelExact | None = None
    gps: Gps | None = None
    uploaded_by: str | None = None


class ExportRowCoarse(_ExportRowCommon):
    """One media of an export for everyone else: no GPS, nobody named."""

    label: ExportLabelCoarse | None = None


class MdDetection(Public):
    """A whole-image box in the detection category of the label's group."""

    category: str = Field(description="Key of detection_categories: 1 animal, 2 person, 3 vehicle.")
    conf: float = Field(ge=0, le=1)
    bbox: list[float] = Field(min_length=4, max_length=4, description="[x_min, y_min, width, height], relative.")
    classifications: list[tuple[str, float]] = Field(description="[[classification category, score]].")


class MdImage(Public):
    file: str = Field(description="<trap id>/<media id>.<extension>")
    detections: list[MdDetection] | None = Field(description="[] for a blank image; null when it failed.")
    failure: str | None = Field(default=None, description="Why there is no result (failed, or not classified yet).")


class MdInfo(Public):
    format_version: str = Field(description="'1.6'")
    classifier: str = Field(description="The models (name:version) whose labels the file holds.")
    detector: str
    export_created: str
    classification_completion_time: str | None = None


class MegaDetectorResults(Public):
    """MegaDetector batch output, format 1.6 (lila.science/megadetector-output-format)."""

    images: list[MdImage]
    info: MdInfo
    detection_categories: dict[str, str]
    classification_categories: dict[str, str] = Field(description="Our labels, by id.")
    classification_category_descriptions: dict[str, str] = Field(description="Each label's taxonomy group.")


# model lifecycle (admins only; built from the ML service's answer field by field) --------
class DatasetOut(Public):
    id: str
    name: str
    created_at: datetime
    source_format: str
    images: int
    classes: list[str]
    problems: int


class DatasetPage(Public):
    items: list[DatasetOut]


class DatasetDetailOut(DatasetOut):
    per_class: dict[str, int]
    per_site: dict[str, int]
    per_site_class: dict[str, dict[str, int]]
    problems_per_code: dict[str, int]
    label_map: dict[str, str]


class GateCheckOut(Public):
    metric: str
    candidate: float | None
    live: float | None
    tolerance: float
    passed: bool | None
    reason: str


class GateOut(Public):
    passed: bool
    checks: list[GateCheckOut]
    reasons: list[str]


class ModelVersionOut(Public):
    name: str
    version: int
    aliases: list[str]
    status: str
    created_at: datetime
    dataset_id: str | None
    code_version: str | None
    label_count: int | None
    metrics: dict[str, float]
    gate: GateOut
    live: bool


class RegisteredModelOut(Public):
    name: str
    aliases: dict[str, int]
    versions: list[ModelVersionOut]


class ServedModelOut(Public):
    name: str
    version: str | None


class ServingOut(Public):
    """What serves now, and what a rollback returns to."""

    live: ServedModelOut
    previous: ServedModelOut | None
    changed_at: datetime


class ModelPage(Public):
    items: list[RegisteredModelOut]
    serving: ServingOut


class ClassMetricsOut(Public):
    support: int
    predicted: int
    precision: float | None
    recall: float | None


class ConfusionOut(Public):
    rows_true: list[str]
    columns_predicted: list[str]
    matrix: list[list[int]]


class SiteMetricsOut(Public):
    images: int
    top1: float | None
    group_top1: float | None
    live_group_top1: float | None


class CurvePointOut(Public):
    epoch: int
    loss: float


class EvaluationOut(Public):
    train_sites: list[str]
    test_sites: list[str]
    train_images: int
    test_images: int
    live_model: str | None
    per_class: dict[str, ClassMetricsOut]
    per_site: dict[str, SiteMetricsOut]
    confusion: ConfusionOut
    group_confusion: ConfusionOut
    live_group_confusion: ConfusionOut | None
    training_curve: list[CurvePointOut]


class ModelVersionDetailOut(ModelVersionOut):
    params: dict[str, str]
    evaluation: EvaluationOut | None


class SwitchOut(Public):
    old: str
    new: str
    old_unloaded: bool
    forced: bool
    serving: ServingOut


# batch jobs ------------------------------------------------------------------------------
class BlobJobSource(Public):
    container: str = Field(min_length=3, max_length=63, pattern=r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
    prefix: str = Field(default="", max_length=1024)


class ReclassifyTarget(Public):
    model: str = Field(pattern=MODEL_KEY_PATTERN, description="The live model as NAME:VERSION (GET /serving).")
    trap_id: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
                                description="Only this trap's media (all of the archive when absent).")


class ReclassifyJobSource(Public):
    """The archive's classified media run through the live model again; a media that has a
    machine observation by that model already is left out (a resubmit does what is left)."""

    reclassify: ReclassifyTarget


class DatasetJobSource(Public):
    """Every image of a dataset snapshot, as media of ``trap_id``."""

    dataset: str = Field(pattern=DATASET_ID_PATTERN, description="A snapshot id (GET /datasets).")


JobSource = BlobJobSource | ReclassifyJobSource | DatasetJobSource


class JobSubmit(Public):
    """A batch job: blobs already in storage (``container``/``prefix``) or a dataset snapshot
    (``dataset``), into ``trap_id``; or the archive re-classified by the live model
    (``reclassify``, optionally one trap's media)."""

    source: JobSource
    trap_id: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")


class JobOut(Public):
    """A job's state (a job names a trap, never a position, and nobody: a coarse caller sees
    only the jobs it submitted, a reviewer or admin every job)."""

    id: str
    source: JobSource = Field(description="What the job classifies.")
    trap_id: str | None
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    done: int
    failed: int
    pending: int
    total: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    throughput_images_s: float | None = Field(description="Items finished per second since the job started.")
    eta_s: float | None = Field(description="Seconds until the pending items are finished at that rate.")


class JobPage(Public):
    items: list[JobOut]
