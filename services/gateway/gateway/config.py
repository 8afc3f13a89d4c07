"""gateway settings, from ``GATEWAY_*`` environment variables."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from ailurus_common.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", frozen=True)

    port: int = 8080
    ingest_url: str = "http://127.0.0.1:8082"
    preprocess_url: str = "http://127.0.0.1:8081"
    ingest_timeout_s: float = Field(default=15.0, gt=0)
    preprocess_timeout_s: float = Field(default=60.0, gt=0)

    # local: a folder (the embedded default); azure: Blob Storage or Azurite.
    blob_backend: Literal["local", "azure"] = "local"
    blob_root: Path = Path("var/data/blobs")
    # Emulators only; on Azure leave it unset and give the account URL (workload identity).
    blob_connection_string: SecretStr | None = None
    blob_account_url: str | None = None

    max_body_bytes: int = Field(default=1024 * 1024 * 1024, gt=0)
    max_file_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    max_files_per_request: int = Field(default=1000, ge=1)
    # Files classified at once per request: enough to keep Triton's batcher fed.
    fanout_concurrency: int = Field(default=16, ge=1)

    # Retry worker for media left pending (a service or Triton was down).
    worker_enabled: bool = True
    worker_interval_s: float = Field(default=10.0, gt=0)
    worker_grace_s: float = Field(default=30.0, ge=0)
    worker_max_backoff_s: float = Field(default=900.0, gt=0)
    worker_batch: int = Field(default=32, ge=1)

    @model_validator(mode="after")
    def _blob_configured(self) -> "GatewaySettings":
        if self.blob_backend == "azure" and not (self.blob_connection_string or self.blob_account_url):
            raise ValueError("GATEWAY_BLOB_CONNECTION_STRING or GATEWAY_BLOB_ACCOUNT_URL is required for azure blobs")
        return self


@lru_cache
def get_settings() -> GatewaySettings:
    return GatewaySettings()
