"""ML admin service settings: the ML layer's ``ML_*`` settings plus what every service has
(``ML_HOST``, ``ML_PORT``, ``ML_LOG_*``, ``ML_AUTH_*``)."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from ailurus_common.settings import ServiceSettings
from ailurus_ml.config import MlSettings


class MlServiceSettings(ServiceSettings, MlSettings):
    model_config = SettingsConfigDict(env_prefix="ML_", extra="ignore", frozen=True)

    port: int = 8084
    # The registry (MLflow) answers one call at a time here: its sqlite store and client are
    # not built for concurrent writers, and an admin API has few callers.
    registry_threads: int = Field(default=1, ge=1, le=8)
    # Serving follows the registry: when the `champion` alias of this registered model points at
    # another version than the live one (set in Azure ML studio, or by a pipeline), that version is
    # promoted, gate enforced (a failing one is logged and counted, never forced). None: off.
    follow_champion: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,62}$")
    champion_poll_s: float = Field(default=60.0, gt=0)


@lru_cache
def get_settings() -> MlServiceSettings:
    return MlServiceSettings()
