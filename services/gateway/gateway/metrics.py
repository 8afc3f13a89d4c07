"""gateway's Prometheus metrics."""

from prometheus_client import Counter, Gauge, Histogram

UPLOAD_FILES = Counter("ailurus_upload_files_total", "Uploaded files by result status and group.", ["status", "group"])
UPLOAD_STAGE_SECONDS = Histogram(
    "ailurus_upload_stage_seconds",
    "Per-file upload stages (store, classify, record: its share of the batched ingest write) by model.",
    ["stage", "model_name", "model_version"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
UPLOAD_BATCH_SECONDS = Histogram("ailurus_upload_batch_seconds", "Whole upload request latency.",
                                 buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120))
IN_FLIGHT_FILES = Gauge("ailurus_upload_in_flight_files", "Files being stored or classified right now.")
PENDING_NOT_QUEUED = Counter("ailurus_upload_pending_not_queued_total",
                             "Pending media whose queue message could not be sent (the worker's sweep finds them).")
# One series per trap (tens to hundreds): lets an alert find traps that went silent.
TRAP_LAST_UPLOAD = Gauge("ailurus_trap_last_upload_timestamp_seconds",
                         "Unix time of the last file stored for a trap (by this replica).", ["trap_id"])
