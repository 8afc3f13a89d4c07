"""preprocess's Prometheus metrics (HTTP latency comes from the shared middleware)."""

from prometheus_client import Counter, Gauge, Histogram

_STAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)

STAGE_SECONDS = Histogram(
    "ailurus_preprocess_stage_seconds", "Time per pipeline stage (decode, infer, postprocess).",
    ["stage", "model_name", "model_version"], buckets=_STAGE_BUCKETS,
)
IMAGES = Counter(
    "ailurus_preprocess_images_total", "Images handled, by outcome; group for classified, code otherwise.",
    ["status", "group", "code"],
)
TRITON_REQUEST_SECONDS = Histogram(
    "ailurus_triton_request_seconds", "Round trip of one Triton infer call.", ["model_name"], buckets=_STAGE_BUCKETS,
)
TRITON_ERRORS = Counter("ailurus_triton_errors_total", "Failed Triton calls by gRPC status.", ["model_name", "status"])
IN_FLIGHT = Gauge("ailurus_preprocess_in_flight", "Images being decoded or classified right now.")
MODEL_INFO = Gauge(
    "ailurus_model_info", "The model and taxonomy mapping last used (value always 1).",
    ["model_name", "model_version", "taxonomy_version"],
)
# What each model version answers: the blank share and group mix per version show a switch
# that went wrong (alerts AilurusBlankShareJumped, AilurusGroupMixShifted).
PREDICTIONS = Counter("ailurus_predictions_total", "Images classified, by the model version that answered and group.",
                      ["model_name", "model_version", "group"])
# Per label only for small label sets (the network's own models): ImageNet's 1000 would be
# 1000 series per version for little use.
PREDICTION_LABELS_MAX = 64
PREDICTIONS_BY_LABEL = Counter("ailurus_predictions_by_label_total",
                               "Images classified by models with at most 64 labels, by version and top-1 label.",
                               ["model_name", "model_version", "label"])
