"""Response bodies of preprocess (documented field by field in the OpenAPI schema)."""

from pydantic import BaseModel, Field

from ailurus_common.domain import Group
from ailurus_common.records import LabelScore, ModelRef


class Gps(BaseModel):
    latitude: float = Field(description="Decimal degrees, WGS84, north positive.")
    longitude: float = Field(description="Decimal degrees, WGS84, east positive.")
    altitude_m: float | None = None


class ImageFacts(BaseModel):
    format: str = Field(description="Format sniffed from the content (JPEG, PNG, WEBP, TIFF, BMP, GIF, HEIF).")
    width: int = Field(description="Upright width in pixels at full resolution.")
    height: int
    frames: int = Field(description="Frames or pages in the file; only the first is classified.")
    orientation: int = Field(description="EXIF orientation tag (1-8) found in the file.")
    orientation_applied: bool = Field(description="True when pixels were rotated/flipped to upright.")
    decode_scale: int = Field(description="1 = full decode; 2/4/8 = reduced-size JPEG decode.")
    captured_at: str | None = Field(description="EXIF capture time, ISO 8601, camera local time unless an offset is given.")
    gps: Gps | None
    make: str | None
    model: str | None


class Prediction(BaseModel):
    group: Group = Field(description="Taxonomy group; 'blank' when no subject is likely.")
    label: str = Field(description="Best model label within the group (top-1 label when blank).")
    confidence: float = Field(description="Summed probability of the group (of no subject, when blank).")
    blank: bool
    top_k: list[LabelScore]
    group_scores: dict[str, float] = Field(description="Summed probability per taxonomy group.")
    model: ModelRef
    taxonomy_version: str


class Timings(BaseModel):
    decode_ms: float
    infer_ms: float
    postprocess_ms: float
    total_ms: float


class ClassifyResponse(BaseModel):
    image: ImageFacts
    prediction: Prediction
    thumbnail_jpeg: str | None = Field(default=None, description="Base64 JPEG thumbnail, when asked with ?thumbnail=true.")
    timings: Timings
