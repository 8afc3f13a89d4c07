"""The ML admin service: the model lifecycle over HTTP for the gateway (datasets, registry,
promote and rollback), so the edge never imports MLflow, torch or Triton's client."""
