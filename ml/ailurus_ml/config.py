"""ML-layer settings, from ``ML_*`` environment variables (``ML_BLOB_BACKEND`` ...)."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ailurus_common.storage.settings import BlobSettings


class MlSettings(BaseSettings, BlobSettings):
    model_config = SettingsConfigDict(env_prefix="ML_", extra="ignore", frozen=True)

    # Features and activations cached per (model, image, view): extraction dominates training.
    cache_dir: Path = Path("var/ml/cache")
    seed: int = 0

    # Model registry (MLflow). Locally a sqlite file; in production Azure ML's MLflow endpoint
    # (``azureml://<region>.api.azureml.ms/mlflow/v1.0/subscriptions/.../workspaces/<ws>``, with the
    # azureml-mlflow plugin installed): the same client code, chosen only by these URIs.
    registry_uri: str = "sqlite:///var/ml/mlflow.db"
    # Where runs are tracked; None = the registry's URI (one store locally and on Azure ML).
    tracking_uri: str | None = None
    # Artifact root of the experiment when this client creates it on a local store; a remote
    # tracking server (Azure ML) chooses its own and this is ignored.
    artifact_root: Path = Path("var/ml/artifacts")
    experiment: str = "ailurus"

    # Promotion gate: how much worse than the live model, on the same held-out split, a
    # candidate may be (recall points, 0..1) and still pass. 0 = "no worse".
    gate_red_panda_recall_tolerance: float = Field(default=0.0, ge=0.0, le=1.0)
    gate_macro_recall_tolerance: float = Field(default=0.0, ge=0.0, le=1.0)


@lru_cache
def get_settings() -> MlSettings:
    return MlSettings()
