"""ingest's Prometheus metrics."""

from prometheus_client import Counter

RECORDED = Counter("ailurus_ingest_media_recorded_total", "Media state changes recorded, by resulting status and group.",
                   ["status", "group"])
