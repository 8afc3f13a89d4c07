"""``/v1/models``: registered models and versions with their gate, one version's held-out
evaluation, and promoting a version."""

from fastapi import APIRouter, Path

from ailurus_common.contracts.ml import MODELS_PATH, VERSION_PATTERN, ModelList, ModelVersionDetail, PromoteIn, SwitchResult
from ailurus_common.contracts.serving import MODEL_NAME_PATTERN
from ailurus_ml.service.api.deps import LifecycleDep

router = APIRouter(prefix=MODELS_PATH, tags=["models"])
Name = Path(pattern=MODEL_NAME_PATTERN)
Version = Path(pattern=VERSION_PATTERN)


@router.get("", response_model=ModelList)
async def list_models(lifecycle: LifecycleDep) -> ModelList:
    return await lifecycle.models()


@router.get("/{name}/versions/{version}", response_model=ModelVersionDetail)
async def get_model_version(lifecycle: LifecycleDep, name: str = Name, version: str = Version) -> ModelVersionDetail:
    return await lifecycle.version(name, int(version))


@router.post("/{name}/versions/{version}/promote", response_model=SwitchResult)
async def promote(body: PromoteIn, lifecycle: LifecycleDep, name: str = Name, version: str = Version) -> SwitchResult:
    """Gate, load beside the live model, switch, drain, unload: returns when the old model is gone."""
    return await lifecycle.promote(name, int(version), force=body.force)
