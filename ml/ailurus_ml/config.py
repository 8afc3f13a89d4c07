"""ML-layer settings, from ``ML_*`` environment variables (``ML_BLOB_BACKEND`` ...)."""

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from ailurus_common.storage.settings import BlobSettings


class MlSettings(BaseSettings, BlobSettings):
    model_config = SettingsConfigDict(env_prefix="ML_", extra="ignore", frozen=True)

    # Features and activations cached per (model, image, view): extraction dominates training.
    cache_dir: Path = Path("var/ml/cache")
    seed: int = 0


@lru_cache
def get_settings() -> MlSettings:
    return MlSettings()
