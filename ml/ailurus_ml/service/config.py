"""ML admin service settings: the ML layer's ``ML_*`` settings plus what every service has
(``ML_HOST``, ``ML_PORT``, ``ML_LOG_*``, ``ML_AUTH_*``)."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from ailurus_common.settings import ServiceSettings
from ailurus_ml.config import MlSettings


class MlServiceSettings(ServiceSettings, MlSettings):
    model_config = SettingsConfigDict(env_prefix="ML_", extra="ignore", frozen=True)

    port: int = 8083
    # The registry (MLflow) answers one call at a time here: its sqlite store and client are
    # not built for concurrent writers, and an admin API has few callers.
    registry_threads: int = Field(default=1, ge=1, le=8)


@lru_cache
def get_settings() -> MlServiceSettings:
    return MlServiceSettings()
