"""gateway settings, from ``GATEWAY_*`` environment variables."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from ailurus_common.auth.settings import AuthSettings
from ailurus_common.queue.settings import QueueSettings
from ailurus_common.settings import ServiceSettings
from ailurus_common.storage.settings import BlobSettings


class GatewaySettings(ServiceSettings, AuthSettings, BlobSettings, QueueSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", frozen=True)

    port: int = 8080
    ingest_url: str = "http://127.0.0.1:8082"
    preprocess_url: str = "http://127.0.0.1:8081"
    ingest_timeout_s: float = Field(default=15.0, gt=0)
    preprocess_timeout_s: float = Field(default=60.0, gt=0)
    # The ML admin service (model lifecycle): reads within ml_timeout_s; a promote or rollback
    # loads (up to ML_TRITON_LOAD_TIMEOUT_S, 180 s), drains (ML_SERVING_DRAIN_S) and unloads.
    ml_url: str = "http://127.0.0.1:8084"
    ml_timeout_s: float = Field(default=30.0, gt=0)
    ml_switch_timeout_s: float = Field(default=300.0, gt=0)
    # Webhook subscriptions are kept by the notifier; subscribing waits for its SSRF check
    # and the target's validation handshake.
    notifier_url: str = "http://127.0.0.1:8085"
    notifier_timeout_s: float = Field(default=20.0, gt=0)

    # Only the upload route takes large bodies; every other body is bounded far lower, and
    # before auth (an anonymous caller cannot make the gateway buffer much).
    max_body_bytes: int = Field(default=1024 * 1024 * 1024, gt=0)
    max_json_body_bytes: int = Field(default=256 * 1024, gt=0)
    max_auth_body_bytes: int = Field(default=8 * 1024, gt=0)
    max_file_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    max_files_per_request: int = Field(default=1000, ge=1)
    # Files of one request in flight at once. On CPU, batch 1 is already cheapest, so more
    # only adds contention: 4 measured best on 2 cores (make bench). With a GPU Triton, raise
    # it (16-32) so the dynamic batcher gets full batches.
    fanout_concurrency: int = Field(default=4, ge=1)
    # Files of one request recorded in one ingest write (the rest once all are classified).
    record_batch: int = Field(default=100, ge=1, le=1000)

    # Resumable uploads (POST /traps/{id}/uploads/sessions): one file in chunks of at most
    # max_chunk_bytes per request (the body limit of the chunk route); the size the dashboard
    # is told to send (1 MiB: on one bar of signal a cut costs at most that); a session idle
    # this long expires and is swept (its staged blocks too) every sweep interval.
    max_chunk_bytes: int = Field(default=8 * 1024 * 1024, gt=0)
    upload_chunk_bytes: int = Field(default=1024 * 1024, gt=0)
    upload_session_ttl_s: float = Field(default=24 * 3600.0, gt=0)
    # Live upload progress shared through the blob store (progress/ in the uploads container),
    # so the event stream may reach any replica; off for one gateway (the chart turns it on).
    progress_shared: bool = False
    progress_flush_s: float = Field(default=0.25, gt=0)  # at most one shared write per upload this often
    progress_poll_s: float = Field(default=0.5, gt=0)  # a replica without the upload reads the copy this often
    upload_session_sweep_interval_s: float = Field(default=600.0, gt=0)

    # Field check (POST /traps/{id}/field-check): a photo whose GPS lies farther than this
    # from the chosen trap is flagged before it is sent (the dashboard reads it from ui/config).
    field_check_distance_m: float = Field(default=1000.0, gt=0, le=1_000_000)
    # Batch jobs (POST /jobs): blob containers callers may name as a source (none by default:
    # a caller must never read arbitrary containers), items per shard on the jobs queue, and
    # the largest job accepted.
    job_containers: list[str] = Field(default_factory=list)
    job_shard_items: int = Field(default=200, ge=1, le=1000)
    job_max_items: int = Field(default=100_000, ge=1)

    # Strict-Transport-Security max-age sent on every response (behind TLS, as in the chart); 0 = none.
    hsts_max_age_s: int = Field(default=0, ge=0)

    # Dashboard map tiles: a Leaflet URL template (https://... or a path on this host);
    # empty = no base map (markers and heat on a plain background, works offline). The
    # pattern keeps it a single URL: it is also written into the page's CSP.
    ui_tile_url: str = Field(default="", pattern=r"^(https?://[^\s;,'\"]+|/[^\s;,'\"]*)?$")
    ui_tile_attribution: str = Field(default="", max_length=500)

    # Location privacy: callers below reviewer (and every app-only partner token) see trap
    # positions snapped to cells of this size, and sensitive groups only in cells with at
    # least privacy_min_count sightings. 0.1 deg is about 11 km.
    privacy_cell_deg: float = Field(default=0.1, gt=0, le=5)
    privacy_min_count: int = Field(default=3, ge=1)
    privacy_sensitive_groups: list[str] = Field(default_factory=lambda: ["red_panda"])

    # What an export's package says about who made it (Camtrap DP project and contributors).
    export_project_title: str = Field(default="Ailurus red panda camera-trap network", min_length=1, max_length=200)
    export_publisher: str = Field(default="Ailurus", min_length=1, max_length=200)

    # Media left pending (a service or Triton was down) go on the pending-media queue
    # (GATEWAY_QUEUE_*), hidden this long before the worker first tries them again.
    pending_delay_s: int = Field(default=30, ge=0, le=3600)

    # Auth (auth_mode, issuer, audience, key... from AuthSettings). Local mode also keeps
    # its users here (the embedded default; `make token`).
    auth_users_path: Path = Path("var/auth/users.json")
    # Local sign-in brake: this many failures per user name (4x per client address) within
    # the window, then 429 until the window has passed.
    login_max_failures: int = Field(default=5, ge=1)
    login_window_s: float = Field(default=300.0, gt=0)
    # Per-caller request rate limit of the whole API (token bucket per partner app id, user,
    # or, without a valid token, client address): rate_limit_burst requests at once, refilled
    # at rate_limit_per_minute. 0 = off (the default: the dashboard, tests and load runs of
    # one token would meet it); the chart and apim/ set the production figures.
    rate_limit_per_minute: float = Field(default=0.0, ge=0)
    rate_limit_burst: int = Field(default=60, ge=1)
    # Addresses (or CIDRs) of the reverse proxies whose X-Forwarded-For is believed; empty:
    # none, the client is the TCP peer. Behind the AKS Ingress: the ingress controller's pod CIDR.
    trusted_proxies: list[str] = Field(default_factory=list)
    auth_token_ttl_s: int = Field(default=8 * 3600, ge=60, le=7 * 24 * 3600)
    # The first-passwords file is deleted at start once it is older than this (each line is
    # already dropped when its user first signs in). Signed-out token ids: auth_revoked_path.
    auth_initial_passwords_max_age_s: int = Field(default=7 * 24 * 3600, ge=0)
    auth_revoked_path: Path = Path("var/auth/revoked-tokens.json")
    # What the dashboard needs for MSAL sign-in (entra mode).
    entra_tenant_id: str | None = None
    entra_client_id: str | None = None
    entra_api_scope: str | None = None
    entra_authority_host: str = "https://login.microsoftonline.com"

    @model_validator(mode="after")
    def _chunk_within_limit(self) -> "GatewaySettings":
        if self.upload_chunk_bytes > self.max_chunk_bytes:
            raise ValueError("GATEWAY_UPLOAD_CHUNK_BYTES must not exceed GATEWAY_MAX_CHUNK_BYTES")
        return self

    @model_validator(mode="after")
    def _auth_configured(self) -> "GatewaySettings":
        if self.auth_mode == "entra" and not self.entra_client_id:
            raise ValueError("auth_mode=entra needs GATEWAY_ENTRA_CLIENT_ID (the dashboard's sign-in)")
        return self


@lru_cache
def get_settings() -> GatewaySettings:
    return GatewaySettings()
