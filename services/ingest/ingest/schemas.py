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
