"""ingest settings, from ``INGEST_*`` environment variables."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from ailurus_common.auth.settings import AuthSettings
from ailurus_common.domain import Group
from ailurus_common.settings import ServiceSettings


class IngestSettings(ServiceSettings, AuthSettings):
    model_config = SettingsConfigDict(env_prefix="INGEST_", frozen=True)

    port: int = 8082
    # sqlite: the embedded default (`make run`); cosmos: Azure Cosmos DB or its stand-in.
    metadata_backend: Literal["sqlite", "cosmos"] = "sqlite"
    sqlite_path: Path = Path("var/data/metadata.sqlite3")
    cosmos_endpoint: str | None = None
    # Only for emulators; on Azure the key stays unset and DefaultAzureCredential is used.
    cosmos_key: SecretStr | None = None
    cosmos_database: str = "ailurus"
    cosmos_container: str = "metadata"
    # One claim per media id (partitioned by id): global uniqueness and point reads by id.
    cosmos_index_container: str = "media-index"
    cosmos_ca_cert: Path | None = None

    # Frames of one trap closer than this belong to one burst (sequence).
    sequence_gap_s: float = Field(default=60.0, gt=0)
    max_page_size: int = Field(default=200, ge=1, le=1000)
    # Cosmos DB: the change feed reads only changes stamped at least this long ago (writers stamp
    # before they write, from several replicas): above the longest write plus the replicas' clock skew.
    change_settle_s: float = Field(default=5.0, ge=0)
    # Media read per store query while an export streams (the most an export holds at once).
    export_page_size: int = Field(default=200, ge=1, le=1000)
    # Counters not written in the media's transaction (Cosmos) are recounted from the media
    # written since the last pass, up to settle_s ago; the first pass looks back lookback_s.
    counter_reconcile_interval_s: float = Field(default=300.0, gt=0)
    counter_reconcile_settle_s: float = Field(default=30.0, ge=0)
    counter_reconcile_lookback_s: float = Field(default=86_400.0, ge=0)
    # Media of these groups also cause sighting.sensitive events, and are withheld from
    # coarse subscribers otherwise (the gateway's GATEWAY_PRIVACY_SENSITIVE_GROUPS).
    sensitive_groups: list[Group] = Field(default_factory=lambda: [Group.RED_PANDA])
    # COUNT queries in flight per map/analytics request.
    query_concurrency: int = Field(default=16, ge=1)

    # Review queue: a frame is a possible sighting of a sensitive group when a label of it
    # scores at least this anywhere in the machine top-k (low on purpose: a missed red panda
    # costs more than a look at a badger); below review_low_confidence a label comes next.
    review_possible_min_score: float = Field(default=0.05, ge=0, le=1)
    review_low_confidence: float = Field(default=0.6, gt=0, le=1)
    # Frames read per store query while a queue page is built, and at most per burst shown.
    review_scan_page_size: int = Field(default=100, ge=1, le=1000)
    review_max_burst_frames: int = Field(default=200, ge=1, le=1000)
    # Reviews of one bulk decision written at once.
    review_write_concurrency: int = Field(default=16, ge=1)

    @model_validator(mode="after")
    def _backend_configured(self) -> "IngestSettings":
        if self.metadata_backend == "cosmos" and not self.cosmos_endpoint:
            raise ValueError("INGEST_COSMOS_ENDPOINT is required when INGEST_METADATA_BACKEND=cosmos")
        return self


@lru_cache
def get_settings() -> IngestSettings:
    return IngestSettings()
