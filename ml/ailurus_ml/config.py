"""ML-layer settings, from ``ML_*`` environment variables (``ML_BLOB_BACKEND`` ...)."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ailurus_common.storage.settings import BlobSettings


class MlSettings(BaseSettings, BlobSettings):
    model_config = SettingsConfigDict(env_prefix="ML_", extra="ignore", frozen=True)

    # Features and activations cached per (model, image, view): extraction dominates training.
    cache_dir: Path = Path("var/ml/cache")
    seed: int = 0
    # The serving crop (preprocess's PREPROCESS_INPUT_SIZE_PX / PREPROCESS_CROP_FRACTION): train on what is served.
    input_size_px: int = 224
    crop_fraction: float = Field(default=0.875, gt=0, le=1)
    # ONNX Runtime threads for feature extraction (2 cores here: 112-194 images/s model-only).
    intra_op_threads: int = Field(default=2, ge=1)
    # Augmented views per training image besides the plain serving crop (view 0).
    train_views: int = Field(default=4, ge=0)
    # Where trained model folders go, and the live model evaluation compares against.
    models_dir: Path = Path("var/ml/models")
    live_model_dir: Path = Path("model_repository/ailurus_classifier")
    # As preprocess reports: subjects summed under this are blank.
    blank_threshold: float = Field(default=0.3, ge=0, le=1)
    # Red-panda recall counts a red panda found when its group probability reaches this.
    red_panda_threshold: float = Field(default=0.5, ge=0, le=1)


@lru_cache
def get_settings() -> MlSettings:
    return MlSettings()
