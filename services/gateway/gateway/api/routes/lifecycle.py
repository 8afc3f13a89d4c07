"""``/api/v1/datasets``, ``/api/v1/models``, ``/api/v1/serving``: the model lifecycle for
admins. The ML admin service computes (registry, gate, zero-downtime switch); the gateway
checks the caller, validates names and answers with its own public models."""

from fastapi import APIRouter, Depends, Path

from ailurus_common.contracts.ml import DATASET_ID_PATTERN, VERSION_PATTERN, PromoteIn
from ailurus_common.contracts.serving import MODEL_NAME_PATTERN
from gateway.api.deps import MlDep, require_admin_person
from gateway.schemas import (
    DatasetDetailOut,
    DatasetPage,
    ModelPage,
    ModelVersionDetailOut,
    ServingOut,
    SwitchOut,
)

router = APIRouter(tags=["model lifecycle"], dependencies=[Depends(require_admin_person)])
DatasetId = Path(pattern=DATASET_ID_PATTERN)
Name = Path(pattern=MODEL_NAME_PATTERN)
Version = Path(pattern=VERSION_PATTERN)


@router.get("/datasets", response_model=DatasetPage)
async def list_datasets(ml: MlDep) -> DatasetPage:
    return DatasetPage.model_validate((await ml.list_datasets()).model_dump())


@router.get("/datasets/{dataset_id}", response_model=DatasetDetailOut)
async def get_dataset(ml: MlDep, dataset_id: str = DatasetId) -> DatasetDetailOut:
    """One snapshot: images per class, per site, per site and class, problems per code."""
    return DatasetDetailOut.model_validate((await ml.get_dataset(dataset_id)).model_dump())


@router.get("/models", response_model=ModelPage)
async def list_models(ml: MlDep) -> ModelPage:
    """Every registered model and version with its gate metrics, gate verdict and aliases, and what is live."""
    return ModelPage.model_validate((await ml.list_models()).model_dump())


@router.get("/models/{name}/versions/{version}", response_model=ModelVersionDetailOut)
async def get_model_version(ml: MlDep, name: str = Name, version: str = Version) -> ModelVersionDetailOut:
    """One version: parameters and its held-out evaluation (per class, per site, confusion, training curve)."""
    return ModelVersionDetailOut.model_validate((await ml.get_model_version(name, int(version))).model_dump())


@router.post("/models/{name}/versions/{version}/promote", response_model=SwitchOut)
async def promote(ml: MlDep, body: PromoteIn | None = None, name: str = Name, version: str = Version) -> SwitchOut:
    """Put the version live with zero failed requests (gate enforced unless ``force``);
    answers once the old model has drained and is unloaded."""
    return SwitchOut.model_validate((await ml.promote(name, int(version), body or PromoteIn())).model_dump())


@router.post("/models/rollback", response_model=SwitchOut)
async def rollback(ml: MlDep) -> SwitchOut:
    """Put back the model the live one replaced."""
    return SwitchOut.model_validate((await ml.rollback()).model_dump())


@router.get("/serving", response_model=ServingOut)
async def serving(ml: MlDep) -> ServingOut:
    return ServingOut.model_validate((await ml.serving()).model_dump())
