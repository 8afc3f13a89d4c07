"""worker settings, from ``WORKER_*`` environment variables."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from ailurus_common.auth.settings import AuthSettings
from ailurus_common.queue.settings import QueueSettings
from ailurus_common.settings import ServiceSettings
from ailurus_common.storage.settings import BlobSettings


class WorkerSettings(ServiceSettings, AuthSettings, BlobSettings, QueueSettings):
    model_config = SettingsConfigDict(env_prefix="WORKER_", frozen=True)

    # Only /healthz, /readyz and /metrics are served here.
    port: int = 8083
    ingest_url: str = "http://127.0.0.1:8082"
    preprocess_url: str = "http://127.0.0.1:8081"
    ingest_timeout_s: float = Field(default=15.0, gt=0)
    preprocess_timeout_s: float = Field(default=60.0, gt=0)

    # A message stays hidden (and its media leased) for one try's longest time plus this
    # margin: after a worker dies, its messages come back that long after it took them.
    lease_margin_s: float = Field(default=30.0, ge=1)
    # Messages in flight at once (each one image through preprocess). On CPU 4 measured best
    # on 2 cores, as for the gateway's fan-out; with a GPU Triton raise it so batches fill.
    concurrency: int = Field(default=4, ge=1, le=256)
    # An empty queue is asked again after this long (Storage Queues are polled; KEDA scales
    # the worker to zero when they stay empty).
    poll_interval_s: float = Field(default=1.0, gt=0)
    # A media that met an outage is tried again after retry_base_delay_s, doubling per
    # attempt, at most retry_max_delay_s (a new message each time: an outage never
    # dead-letters anything).
    retry_base_delay_s: int = Field(default=30, ge=0)
    retry_max_delay_s: int = Field(default=900, ge=1)
    # Safety net for pending media without a message (the upload's enqueue failed, or the
    # media predate the queue): every sweep_interval_s, pending media untouched for
    # sweep_age_s are sent again (a duplicate message is harmless: the lease decides).
    sweep_interval_s: float = Field(default=600.0, gt=0)
    sweep_age_s: float = Field(default=900.0, ge=0)
    sweep_batch: int = Field(default=500, ge=1, le=500)
    # How often the dead-letter queue is read (its media are failed for good).
    dead_letter_interval_s: float = Field(default=30.0, gt=0)

    # Batch-job shards (the jobs queue): items of one shard worked on at once (beside the
    # pending media: interactive uploads keep the rest of preprocess), how long a taken shard
    # stays hidden (renewed every third of it while the shard runs: a dead worker's shard
    # comes back this long after it died),
    # how often a cancelled job is noticed, the largest blob taken as an image, and the delay
    # before a shard that met an outage is tried again.
    job_concurrency: int = Field(default=2, ge=1, le=64)
    job_visibility_timeout_s: int = Field(default=120, ge=10)
    job_cancel_check_s: float = Field(default=2.0, gt=0)
    job_max_file_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    job_retry_delay_s: int = Field(default=30, ge=0)
    # A shard can arrive before its job is recorded (the gateway records it after enqueuing
    # every shard); one whose job is still unknown this long after it was sent is an orphan
    # of a submission that died half-way, and is dropped.
    job_orphan_after_s: float = Field(default=600.0, gt=0)
    # Re-classification jobs: classify calls per second at most, per worker replica (a token
    # bucket holding reclassify_burst calls), so re-running the archive after a promote never
    # takes the classifier that interactive uploads share. Bare inference here does about 300
    # images/s; 20/s leaves almost all of it to uploads (100k media: about 1.4 h per replica).
    reclassify_rate_per_s: float = Field(default=20.0, gt=0, le=10_000)
    reclassify_burst: int = Field(default=4, ge=1, le=1000)


@lru_cache
def get_settings() -> WorkerSettings:
    return WorkerSettings()
