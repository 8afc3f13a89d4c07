"""worker's Prometheus metrics. The two series the gateway's polling worker used to export
keep their names (dashboards and alerts read them)."""

from prometheus_client import Counter, Gauge

PENDING_BACKLOG = Gauge("ailurus_pending_backlog", "Messages in the pending-media queue (visible or not), "
                                                   "at the worker's last look.")
WORKER_RESULTS = Counter("ailurus_worker_results_total", "Worker outcomes per message.", ["status"])
IN_FLIGHT = Gauge("ailurus_worker_in_flight_messages", "Messages being worked on right now.")
DEAD_LETTERED = Counter("ailurus_worker_dead_letters_total",
                        "Dead-lettered messages read (their consumer died on them every time).")
SHARD_REDELIVERIES = Counter("ailurus_worker_job_shard_redeliveries_total",
                             "Shard deliveries after the first (a worker died on it, or it was not hidden long enough).")
SHARDS = Counter("ailurus_worker_job_shards_total", "Batch-job shard deliveries by outcome.", ["outcome"])
JOB_ITEMS = Counter("ailurus_worker_job_items_total", "Batch-job items worked on, done or failed.", ["outcome"])
JOBS_BACKLOG = Gauge("ailurus_jobs_backlog", "Messages in the jobs queue (visible or not), at the worker's last look.")
RECLASSIFIED = Counter("ailurus_worker_reclassify_items_total",
                       "Media of re-classification jobs by outcome (recorded, held: labelled by the job's model "
                       "already, model_mismatch: another model answered, missing, rejected, poison).", ["outcome"])
