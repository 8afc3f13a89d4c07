"""notifier settings, from ``NOTIFIER_*`` environment variables."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from ailurus_common.auth.settings import AuthSettings
from ailurus_common.settings import ServiceSettings


class NotifierSettings(ServiceSettings, AuthSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", frozen=True)

    port: int = 8085
    # Subscriptions, the delivery log and the dead letters (one replica owns this file).
    sqlite_path: Path = Path("var/data/notifier.sqlite3")
    # The outbox's owner, read with the service token.
    ingest_url: str = "http://127.0.0.1:8082"
    ingest_timeout_s: float = Field(default=10.0, gt=0)
    poll_interval_s: float = Field(default=1.0, gt=0)
    poll_batch: int = Field(default=100, ge=1, le=1000)
    # webhooks: each subscription's URL; eventgrid: every event to one Azure Event Grid topic.
    sink: Literal["webhooks", "eventgrid"] = "webhooks"
    eventgrid_endpoint: str | None = None
    eventgrid_key: SecretStr | None = None  # unset on Azure: DefaultAzureCredential
    eventgrid_precision: Literal["coarse", "exact"] = "coarse"
    # Delivery: per attempt timeout, back-off base * 2^(attempt-1) up to the cap, then dead-lettered.
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    retry_base_s: float = Field(default=2.0, gt=0)
    retry_max_s: float = Field(default=600.0, gt=0)
    max_attempts: int = Field(default=10, ge=1)
    delivery_concurrency: int = Field(default=8, ge=1)
    # Hosts (names or IP addresses) allowed even though they resolve to loopback, private,
    # link-local, unique-local or multicast addresses (tests: 127.0.0.1).
    webhook_allowed_hosts: list[str] = Field(default_factory=list)
    # The origin announced in the CloudEvents webhook validation handshake (WebHook-Request-Origin).
    webhook_origin: str = "ailurus.local"


@lru_cache
def get_settings() -> NotifierSettings:
    return NotifierSettings()
