"""``/v1/serving``: what is live, and rolling back to what it replaced."""

from fastapi import APIRouter

from ailurus_common.contracts.ml import ROLLBACK_PATH, SERVING_PATH, SwitchResult
from ailurus_common.contracts.serving import ServingState
from ailurus_ml.service.api.deps import LifecycleDep

router = APIRouter(tags=["serving"])


@router.get(SERVING_PATH, response_model=ServingState)
async def serving(lifecycle: LifecycleDep) -> ServingState:
    return await lifecycle.state()


@router.post(ROLLBACK_PATH, response_model=SwitchResult)
async def rollback(lifecycle: LifecycleDep) -> SwitchResult:
    return await lifecycle.rollback()
