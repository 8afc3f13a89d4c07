"""What crosses the gateway -> ML admin service hop: dataset snapshots, registered model
versions with their gate and evaluation, and the switches of the served model.

The ML service computes these (it owns the registry, the snapshots and Triton's model
control); the gateway checks the caller and answers with its own public models.
"""

from datetime import datetime

from pydantic import BaseModel, Field

from ailurus_common.contracts.serving import ServingState

DATASETS_PATH = "/v1/datasets"
MODELS_PATH = "/v1/models"
SERVING_PATH = "/v1/serving"
ROLLBACK_PATH = "/v1/serving/rollback"
# Registered names are Triton names (contracts.serving.MODEL_NAME_PATTERN); versions are MLflow's.
VERSION_PATTERN = r"^[1-9][0-9]{0,8}$"
# A snapshot id: <name>-<12 hex of its items' hash> (ailurus_ml.datasets.store.ID_PATTERN).
DATASET_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}-[0-9a-f]{12}$"


class DatasetSummary(BaseModel):
    id: str
    name: str
    created_at: datetime
    source_format: str
    images: int
    classes: list[str]
    problems: int = Field(description="files left out of the snapshot")


class DatasetList(BaseModel):
    items: list[DatasetSummary]


class DatasetDetail(DatasetSummary):
    per_class: dict[str, int]
    per_site: dict[str, int]
    per_site_class: dict[str, dict[str, int]] = Field(description="site -> class -> images")
    problems_per_code: dict[str, int]
    label_map: dict[str, str]


class DatasetImage(BaseModel):
    """One image of a snapshot as a batch job reads it: where its bytes are and what people
    called the file."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="content hash; the bytes are datasets/<blob>")
    blob: str = Field(description="its name in the datasets container")
    file_name: str = Field(min_length=1, max_length=255, description="the source file's name (no folders)")


class DatasetImages(BaseModel):
    """Every image of one snapshot (the images a dataset batch job classifies)."""

    id: str
    items: list[DatasetImage]


def dataset_images_path(dataset_id: str) -> str:
    return f"{DATASETS_PATH}/{dataset_id}/images"


class GateCheckOut(BaseModel):
    metric: str
    candidate: float | None
    live: float | None
    tolerance: float
    passed: bool | None = Field(description="None: not judged (neither model has support)")
    reason: str


class GateOut(BaseModel):
    passed: bool
    checks: list[GateCheckOut]
    reasons: list[str]


class ModelVersionSummary(BaseModel):
    name: str
    version: int
    aliases: list[str]
    status: str
    created_at: datetime
    dataset_id: str | None
    code_version: str | None
    label_count: int | None
    metrics: dict[str, float] = Field(description="the run's flat metrics (the gate's, with live_* beside them)")
    gate: GateOut
    live: bool = Field(description="this version is what serves now")


class RegisteredModel(BaseModel):
    name: str
    aliases: dict[str, int]
    versions: list[ModelVersionSummary]


class ModelList(BaseModel):
    items: list[RegisteredModel]
    serving: ServingState


class ClassMetrics(BaseModel):
    support: int
    predicted: int
    precision: float | None
    recall: float | None


class Confusion(BaseModel):
    rows_true: list[str]
    columns_predicted: list[str]
    matrix: list[list[int]]


class SiteMetrics(BaseModel):
    """One held-out site: how often each model was right there."""

    images: int
    top1: float | None = Field(description="species top-1 of this version")
    group_top1: float | None = Field(description="taxonomy-group top-1 of this version")
    live_group_top1: float | None = Field(description="taxonomy-group top-1 of the model live at training time")


class CurvePoint(BaseModel):
    epoch: int
    loss: float = Field(description="class-balanced training loss after the epoch")


class Evaluation(BaseModel):
    """The held-out evaluation logged with a version (sites it never saw in training)."""

    train_sites: list[str]
    test_sites: list[str]
    train_images: int
    test_images: int
    live_model: str | None
    per_class: dict[str, ClassMetrics]
    per_site: dict[str, SiteMetrics]
    confusion: Confusion = Field(description="species, rows true, columns predicted")
    group_confusion: Confusion
    live_group_confusion: Confusion | None
    training_curve: list[CurvePoint]


class ModelVersionDetail(ModelVersionSummary):
    params: dict[str, str]
    evaluation: Evaluation | None = Field(description="None: registered without a held-out evaluation")


class PromoteIn(BaseModel):
    force: bool = Field(default=False, description="promote although the gate fails")


class SwitchResult(BaseModel):
    """What a promote or rollback did."""

    old: str
    new: str
    old_unloaded: bool
    forced: bool = False
    serving: ServingState
