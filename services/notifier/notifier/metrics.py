"""notifier's Prometheus metrics."""

from prometheus_client import Counter

ATTEMPTS = Counter("ailurus_notifier_delivery_attempts_total", "Delivery attempts, by outcome.", ["outcome"])
EVENTS = Counter("ailurus_notifier_events_taken_total", "Outbox events taken over from ingest.")
