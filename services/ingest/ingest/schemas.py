"""Response bodies of ingest."""

from typing import Literal

from pydantic import BaseModel, Field

from ailurus_common.records import Deployment, Media


class Trap(Deployment):
    """A deployment with what it has recorded (on reads of one trap)."""

    counts: dict[str, int] = Field(default_factory=dict, description="Classified media per taxonomy group.")
    media_count: int = 0


class TrapList(BaseModel):
    items: list[Deployment]


class MediaPage(BaseModel):
    items: list[Media]
    next_cursor: str | None


class PointGeometry(BaseModel):
    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float] = Field(description="[longitude, latitude] (GeoJSON order).")


class TrapFeature(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: PointGeometry
    properties: dict


class TrapCollection(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[TrapFeature]


class Heatmap(BaseModel):
    group: str
    points: list[tuple[float, float, int]] = Field(description="[latitude, longitude, weight] per trap with sightings.")


class TrapCounts(BaseModel):
    trap_id: str
    name: str
    counts: dict[str, int]


class HistogramBin(BaseModel):
    lo: float
    hi: float
    count: int


class ReviewShare(BaseModel):
    model: str = Field(description="Model name:version that made the machine labels.")
    machine: int = Field(description="Media whose latest machine label came from this model.")
    confirmed: int = Field(description="...of which a reviewer confirmed the label.")
    corrected: int = Field(description="...of which a reviewer changed the label.")


class Analytics(BaseModel):
    per_day: list[dict] = Field(description="[{day: YYYY-MM-DD (UTC), counts: {group: n}}], oldest first.")
    per_trap: list[TrapCounts]
    by_hour: list[int] = Field(description="Classified media per local hour of capture, 0-23.")
    confidence_histogram: list[HistogramBin]
    review_share: list[ReviewShare]
