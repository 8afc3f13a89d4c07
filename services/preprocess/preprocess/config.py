"""preprocess settings, from ``PREPROCESS_*`` environment variables."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from ailurus_common.auth.settings import AuthSettings
from ailurus_common.settings import ServiceSettings
from ailurus_common.storage.settings import BlobSettings
from preprocess.decode import DecodeLimits


class PreprocessSettings(ServiceSettings, AuthSettings, BlobSettings):
    model_config = SettingsConfigDict(env_prefix="PREPROCESS_", frozen=True)

    port: int = 8081
    # "triton" in every deployment; "onnx" runs the same file in-process where the
    # Triton wheel does not install, and is the naive baseline in benchmarks.
    classifier: Literal["triton", "onnx"] = "triton"
    triton_url: str = "127.0.0.1:8001"
    # The base model: served until models/serving.json names another (promote), and the
    # directory holding its labels.txt, taxonomy.json and, for the onnx classifier, <version>/model.onnx.
    model_name: str = "ailurus_classifier"
    model_dir: Path = Path("model_repository/ailurus_classifier")
    # How often models/serving.json is read: a promote reaches every replica within this.
    serving_poll_s: float = Field(default=1.0, gt=0)
    triton_timeout_s: float = Field(default=10.0, gt=0)
    triton_retries: int = Field(default=2, ge=0)
    triton_retry_backoff_s: float = Field(default=0.2, ge=0)
    retry_after_s: int = Field(default=5, ge=1)
    onnx_threads: int = Field(default=2, ge=1)

    max_body_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    # Header-checked before any full decode: 64250x64250 (4.1 Gpx) must never be allocated.
    max_pixels: int = Field(default=120_000_000, gt=0)
    min_side_px: int = Field(default=32, ge=1)
    max_aspect_ratio: float = Field(default=12.0, ge=1)
    decode_threads: int = Field(default=2, ge=1)
    # Decode memory, known from the header (decode_budget.decode_cost_bytes): one image may
    # take max_decode_bytes (a 60 Mpx RGB PNG, a 30 Mpx RGBA one; JPEGs decode reduced and
    # take far less); all decodes in flight together at most decode_pool_bytes, so a burst
    # of hostile files waits instead of growing the process past its memory limit (2 GiB in the chart).
    max_decode_bytes: int = Field(default=512 * 1024 * 1024, gt=0)
    decode_pool_bytes: int = Field(default=1024 * 1024 * 1024, gt=0)
    # Eval crop: central square of crop_fraction x the short side, resized to input_size_px.
    input_size_px: int = 224
    crop_fraction: float = Field(default=0.875, gt=0, le=1)
    # Thumbnails go straight to processed/ in the blob store (PREPROCESS_BLOB_*).
    thumbnail_px: int = Field(default=320, ge=32)

    top_k: int = Field(default=5, ge=1, le=50)
    blank_threshold: float = Field(default=0.3, ge=0, le=1)

    @model_validator(mode="after")
    def _limits_consistent(self) -> "PreprocessSettings":
        if self.min_side_px * self.min_side_px > self.max_pixels:
            raise ValueError("min_side_px squared exceeds max_pixels")
        if self.max_decode_bytes > self.decode_pool_bytes:
            raise ValueError("max_decode_bytes exceeds decode_pool_bytes: such an image could never be decoded")
        return self

    def decode_limits(self) -> DecodeLimits:
        return DecodeLimits(max_bytes=self.max_body_bytes, max_pixels=self.max_pixels, min_side_px=self.min_side_px,
                            max_aspect_ratio=self.max_aspect_ratio, max_decode_bytes=self.max_decode_bytes)


@lru_cache
def get_settings() -> PreprocessSettings:
    return PreprocessSettings()
