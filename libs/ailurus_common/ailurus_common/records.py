"""Stored records in the Camtrap DP vocabulary: deployment (a camera trap at a place),
media (one uploaded file) and observation (one label on a media).

These are what the metadata stores persist and what ingest returns; exports to
Camtrap DP are a field mapping from here, not a rewrite.
"""

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import AfterValidator, AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from ailurus_common.domain import Group, MediaStatus
from ailurus_common.errors import ErrorCode

TRAP_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
MEDIA_ID_PATTERN = r"^[0-9a-f]{64}$"  # sha256 of the original bytes


UTC_TEXT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_now() -> datetime:
    return datetime.now(UTC)


def utc_text(value: datetime) -> str:
    """``value`` as fixed-width UTC text (the first part of ``Media.sort_key``)."""
    # One zone and a fixed width: stores keep datetimes as this text so that comparing the
    # strings in a query (SQLite, Cosmos DB) compares the times. The year is padded here:
    # glibc's %Y writes year 65 as "65", which would sort after "2026".
    utc = value.astimezone(UTC)
    return f"{utc.year:04d}" + utc.strftime(UTC_TEXT_FORMAT[2:])


# The IANA zones this build knows: the schema lists them, so a client generator (and a
# fuzzer) knows exactly which strings pass.
IANA_ZONES = sorted(available_timezones())
_ZONES = frozenset(IANA_ZONES)
ZONE_SCHEMA = {"enum": IANA_ZONES}


def known_zone(value: str | None) -> str | None:
    """``value`` when it names an IANA time zone; ``ValueError`` otherwise."""
    if value is None:
        return None
    if value not in _ZONES:
        raise ValueError(f"unknown IANA time zone {str(value)[:60]!r}")
    return value


_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _iso_text_only(value: Any) -> Any:
    # pydantic's lax datetime takes numbers as Unix times; the schema says an ISO 8601 string.
    if isinstance(value, (int, float)) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("a date-time in ISO 8601 (e.g. 2026-05-01T12:00:00Z), not a number")
    return value


_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def _as_utc(value: datetime) -> datetime:
    # Every date-time the schema admits is usable: naive ones are UTC, and an offset that
    # pushes one past the calendar's ends (0001-01-01T00:00+15:00) lands on that end.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return _EARLIEST if value.year == 1 else _LATEST


# A date-time exactly as the OpenAPI says it: ISO 8601 text, never a bare number; in UTC.
Instant = Annotated[datetime, BeforeValidator(_iso_text_only), AfterValidator(_as_utc)]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TrapFields(Record):
    """What a person says about a camera trap (shared by the record and ``POST /traps``)."""

    # strict numbers: a JSON true or "27.1" is not a latitude (the schema says number).
    name: str = Field(min_length=1, max_length=200)
    latitude: float = Field(ge=-90, le=90, strict=True)
    longitude: float = Field(ge=-180, le=180, strict=True)
    elevation_m: float | None = Field(default=None, ge=-500, le=9000, strict=True)
    # Camera clocks write local time without an offset: this zone interprets them.
    timezone: str = Field(default="UTC", json_schema_extra=ZONE_SCHEMA)
    # Seconds to ADD to the camera's clock to get true time (a camera set wrong).
    clock_offset_s: float = Field(default=0.0, ge=-10 * 365 * 86400, le=10 * 365 * 86400, strict=True)
    start: Instant | None = None
    end: Instant | None = None
    notes: str | None = Field(default=None, max_length=4000)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)


class Deployment(TrapFields):
    """One camera trap at one place for a period."""

    id: str = Field(pattern=TRAP_ID_PATTERN)
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)


class LabelScore(Record):
    label: str
    score: float
    # The label's taxonomy group (labels recorded before groups were named have none).
    group: Group | None = None


class ModelRef(Record):
    name: str
    version: str


class ErrorInfo(Record):
    code: ErrorCode
    message: str


class Gps(Record):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    altitude_m: float | None = None


class ExifInfo(Record):
    """What the file says about itself, as preprocess read it."""

    make: str | None = None
    model: str | None = None
    captured_at_local: str | None = Field(default=None, description=(
        "EXIF capture time as the camera wrote it (ISO 8601; local camera time unless an offset is given)."))
    gps: Gps | None = None
    width: int | None = None
    height: int | None = None
    orientation: int | None = None
    format: str | None = Field(default=None, description="Decoder that read the content (JPEG, PNG, WEBP, ...).")


class MachinePrediction(Record):
    """A classifier's answer for one image."""

    group: Group = Field(description="Taxonomy group; 'blank' when no subject is likely.")
    label: str = Field(description="Best model label within the group (top-1 label when blank).")
    confidence: float = Field(ge=0, le=1, description="Summed probability of the group (of no subject, when blank).")
    blank: bool
    top_k: list[LabelScore]
    model: ModelRef


class Observation(Record):
    """A label on a media. Reviews add observations; machine ones are never erased."""

    id: str
    group: Group
    label: str | None = None
    # Records written before the field was named like every other hop say "probability".
    confidence: float | None = Field(default=None, ge=0, le=1,
                                     validation_alias=AliasChoices("confidence", "probability"))
    blank: bool = False
    top_k: list[LabelScore] = Field(default_factory=list)
    method: Literal["machine", "human"]
    classified_by: str  # "model_name:version" or the reviewer's user id
    model: ModelRef | None = None
    classified_at: datetime = Field(default_factory=utc_now)


class Media(Record):
    """One uploaded file and everything known about it."""

    id: str = Field(pattern=MEDIA_ID_PATTERN)
    deployment_id: str = Field(pattern=TRAP_ID_PATTERN)  # Cosmos partition key
    file_name: str = Field(max_length=255)
    media_type: str
    size_bytes: int = Field(ge=0)
    blob_original: str
    blob_thumbnail: str | None = None
    # UTC; from EXIF in the trap's time zone corrected by its clock offset, else upload time.
    timestamp: datetime
    timestamp_source: Literal["exif", "upload"] = "upload"
    uploaded_at: datetime = Field(default_factory=utc_now)
    uploaded_by: str
    exif: ExifInfo = Field(default_factory=ExifInfo)
    status: MediaStatus = MediaStatus.PENDING
    error: ErrorInfo | None = None
    attempts: int = 0
    # The retry worker that holds this pending media until lease_until (one replica at a time).
    lease_holder: str | None = None
    lease_until: datetime | None = None
    sequence_id: str | None = None
    # Hour of day of the capture in the trap's time zone (activity by hour); None without EXIF time.
    capture_hour: int | None = Field(default=None, ge=0, le=23)
    observations: list[Observation] = Field(default_factory=list)
    # Denormalised from the current observation (latest human, else latest machine) so
    # stores can filter and count on plain fields.
    group: Group | None = None
    label: str | None = None
    confidence: float | None = None
    model: ModelRef | None = None
    model_key: str | None = None  # "name:version" of the latest machine label
    # What the latest human review did to the machine label (None: not reviewed).
    review_state: Literal["confirmed", "corrected"] | None = None
    # Best score of each group among the latest machine label's top-k (the review queue puts
    # a possible sensitive sighting first even when it is not the top-1).
    top_k_groups: dict[Group, float] = Field(default_factory=dict)
    updated_at: datetime = Field(default_factory=utc_now)

    @property
    def sort_key(self) -> str:
        """Newest-first keyset paging key: fixed-width UTC timestamp, then id."""
        return f"{utc_text(self.timestamp)}|{self.id}"

    def shows_people(self) -> bool:
        """Whether any label on this media, machine or human, says ``human``: such media are
        personal data (no file in exports, no thumbnail or original for coarse callers)."""
        return self.group == Group.HUMAN or any(o.group == Group.HUMAN for o in self.observations)

    def current_observation(self) -> Observation | None:
        human = [o for o in self.observations if o.method == "human"]
        chosen = human or self.observations
        return chosen[-1] if chosen else None

    def labelled_by(self, model_key: str) -> bool:
        """Whether the model ``model_key`` ("name:version") made one of its machine labels."""
        return any(o.method == "machine" and o.classified_by == model_key for o in self.observations)

    def with_observation(self, observation: Observation) -> "Media":
        """A copy with the observation appended and the denormalised fields refreshed."""
        return self._with_observations([*self.observations, observation])

    def without_observation(self, observation_id: str) -> "Media":
        """A copy without that human observation (a review undone): the label is again the
        previous review's, or the machine's when there was none. Machine labels are never
        erased: asking for one returns the record unchanged."""
        kept = [o for o in self.observations if not (o.id == observation_id and o.method == "human")]
        if len(kept) == len(self.observations):
            return self
        return self._with_observations(kept)

    def _with_observations(self, observations: list[Observation]) -> "Media":
        media = self.model_copy(update={"observations": observations, "updated_at": utc_now()})
        current = media.current_observation()
        machine = [o for o in media.observations if o.method == "machine"]
        human = [o for o in media.observations if o.method == "human"]
        review_state = None
        if machine and human:
            agrees = human[-1].group == machine[-1].group and human[-1].label in (None, machine[-1].label)
            review_state = "confirmed" if agrees else "corrected"
        top_k_groups: dict[Group, float] = {}
        for score in machine[-1].top_k if machine else []:
            if score.group is not None:
                top_k_groups[score.group] = max(score.score, top_k_groups.get(score.group, 0.0))
        return media.model_copy(update={
            "group": current.group if current else None, "label": current.label if current else None,
            "confidence": current.confidence if current else None,
            "model": machine[-1].model if machine else None,
            "model_key": f"{machine[-1].model.name}:{machine[-1].model.version}" if machine and machine[-1].model else None,
            "review_state": review_state, "top_k_groups": top_k_groups,
        })


class MediaFilter(BaseModel):
    """Filters of ``GET /media`` (all optional, combined with AND)."""

    deployment_id: str | None = None
    group: Group | None = None
    label: str | None = None
    status: MediaStatus | None = None
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive
    min_confidence: float | None = Field(default=None, ge=0, le=1)
    max_confidence: float | None = Field(default=None, ge=0, le=1)  # exclusive
    capture_hour: int | None = Field(default=None, ge=0, le=23)
    model_key: str | None = None
    review_state: Literal["confirmed", "corrected"] | None = None
    # Media whose current group is one of these are left out (unlabelled media are kept).
    exclude_groups: list[Group] = Field(default_factory=list)
    # Leave out media not yet labelled (for coarse callers: a pending media could still turn
    # out sensitive, and its disappearance would tell them so).
    exclude_pending: bool = False
    # Only media whose current group is one of these (empty: no such filter).
    groups: list[Group] = Field(default_factory=list)
    # Only media a reviewer confirmed or corrected.
    reviewed_only: bool = False
    # Only media no reviewer has labelled yet (the review queue).
    unreviewed_only: bool = False
    sequence_id: str | None = None
    # Only possible sightings of these groups: the current group is one of them, or a label of
    # one of them scores at least ``possible_min_score`` in the latest machine top-k.
    possible_groups: list[Group] = Field(default_factory=list)
    possible_min_score: float = Field(default=0.0, ge=0, le=1)
