"""ingest's Prometheus metrics."""

from prometheus_client import Counter

RECORDED = Counter("ailurus_ingest_media_recorded_total", "Media state changes recorded, by resulting status and group.",
                   ["status", "group"])
COUNTERS_CORRECTED = Counter("ailurus_ingest_counters_corrected_total",
                             "Daily counters found wrong and recounted from their media (a write cut between "
                             "the media and its counter).")
