"""The ML admin service's Prometheus metrics."""

from prometheus_client import Counter, Gauge

SWITCHES = Counter("ailurus_ml_switches_total", "Promotes and rollbacks, by action and outcome "
                   "(done, gate_failed, refused, failed).", ["action", "outcome"])
LIVE_MODEL = Gauge("ailurus_ml_live_model_info", "1 for the model the serving pointer names (base: version \"\").",
                   ["model", "version"])
