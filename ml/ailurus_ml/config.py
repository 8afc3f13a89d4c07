"""ML-layer settings, from ``ML_*`` environment variables (``ML_BLOB_BACKEND`` ...)."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ailurus_common.auth.settings import AuthSettings
from ailurus_common.imaging import HeaderLimits
from ailurus_common.storage.settings import BlobSettings


class MlSettings(BaseSettings, BlobSettings, AuthSettings):
    model_config = SettingsConfigDict(env_prefix="ML_", extra="ignore", frozen=True)

    # Features and activations cached per (model, image, view): extraction dominates training.
    cache_dir: Path = Path("var/ml/cache")
    seed: int = 0
    # The serving crop (preprocess's PREPROCESS_INPUT_SIZE_PX / PREPROCESS_CROP_FRACTION): train on what is served.
    input_size_px: int = 224
    crop_fraction: float = Field(default=0.875, gt=0, le=1)
    # ONNX Runtime threads for feature extraction (2 cores here: 112-194 images/s model-only).
    intra_op_threads: int = Field(default=2, ge=1)
    # Augmented views per training image besides the plain serving crop (view 0).
    train_views: int = Field(default=4, ge=0)
    # Where trained model folders go, and the live model evaluation compares against.
    models_dir: Path = Path("var/ml/models")
    live_model_dir: Path = Path("model_repository/ailurus_classifier")
    # As preprocess reports: subjects summed under this are blank.
    blank_threshold: float = Field(default=0.3, ge=0, le=1)
    # Serving (ailurus models promote|rollback): Triton's model control, the base model that
    # serves before any promote, where promoted folders are kept for the local Triton, and how
    # long the old model drains (> preprocess's poll interval + its longest request).
    triton_grpc_url: str = "127.0.0.1:8001"
    # Production: the key of Triton's restricted APIs (from Key Vault). Locally the running
    # Triton writes its key to triton_access_token_path.
    triton_access_token: SecretStr | None = None
    triton_access_token_path: Path = Path("var/triton/access-token")
    triton_local_repository: Path | None = Path("var/triton/model_repository")
    promoted_dir: Path | None = Path("var/models")
    base_model: str = "ailurus_classifier"
    serving_drain_s: float = Field(default=5.0, ge=0)
    # A switch's announcement ingest does not take (it may be restarting) is retried this long.
    announce_timeout_s: float = Field(default=30.0, ge=0)
    # A load waits this long for the model's files (the chart's model sync copies every minute).
    triton_load_timeout_s: float = Field(default=180.0, gt=0)
    # Red-panda recall counts a red panda found when its group probability reaches this.
    red_panda_threshold: float = Field(default=0.5, ge=0, le=1)

    # An imported file must pass what preprocess checks (its PREPROCESS_* defaults), or the
    # served model could never see it.
    max_pixels: int = Field(default=120_000_000, gt=0)
    min_side_px: int = Field(default=32, ge=1)
    max_aspect_ratio: float = Field(default=12.0, ge=1)
    # Files read and decoded at once during an import.
    import_concurrency: int = Field(default=4, ge=1, le=64)

    # `datasets from-reviews` reads media records from ingest (the metadata store's only
    # owner) with a service token: local mode signs one with ML_AUTH_KEY_PATH, the key the
    # services of `make run` share (var/auth/local-signing-key.pem).
    ingest_url: str = "http://127.0.0.1:8082"
    ingest_timeout_s: float = Field(default=30.0, gt=0)
    ingest_page_size: int = Field(default=200, ge=1, le=1000)  # ingest's INGEST_MAX_PAGE_SIZE default

    @field_validator("promoted_dir", "triton_local_repository", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        # The chart sets ML_PROMOTED_DIR="" (Triton reads models/ there): none, not the current folder.
        return None if value == "" else value

    def image_limits(self) -> HeaderLimits:
        return HeaderLimits(max_pixels=self.max_pixels, min_side_px=self.min_side_px,
                           max_aspect_ratio=self.max_aspect_ratio)

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
