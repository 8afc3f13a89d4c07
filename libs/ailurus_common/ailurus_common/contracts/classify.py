"""gateway -> preprocess: ``POST /v1/classify`` takes the image bytes as the body and
answers ``ClassifyResult``; the gateway hands its ``exif``, ``prediction`` and
``blob_thumbnail`` to ingest as they are."""

from pydantic import BaseModel, ConfigDict, Field

from ailurus_common.domain import Group
from ailurus_common.records import ExifInfo, MachinePrediction

CLASSIFY_PATH = "/v1/classify"
# The media id (sha256 of the bytes) as a query parameter: preprocess stores the thumbnail
# as processed/<media_id>.jpg itself, so it never travels back through the gateway.
MEDIA_ID_PARAM = "media_id"


def thumbnail_blob_name(media_id: str) -> str:
    """Where a media's thumbnail lives in ``processed/``."""
    return f"{media_id}.jpg"


class Timings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decode_ms: float
    infer_ms: float
    postprocess_ms: float
    total_ms: float


class ClassifyResult(BaseModel):
    """What preprocess found in one image."""

    model_config = ConfigDict(extra="forbid")

    exif: ExifInfo = Field(description="Camera facts; width/height are upright, at full resolution.")
    frames: int = Field(description="Frames or pages in the file; only the first is classified.")
    orientation_applied: bool = Field(description="True when pixels were rotated/flipped to upright.")
    decode_scale: int = Field(description="1 = full decode; 2/4/8 = reduced-size JPEG decode.")
    prediction: MachinePrediction
    group_scores: dict[Group, float] = Field(description="Summed probability per taxonomy group.")
    taxonomy_version: str
    blob_thumbnail: str | None = Field(default=None, description="Thumbnail name in processed/ (with media_id).")
    timings: Timings
