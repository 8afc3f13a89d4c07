"""Liveness (the process answers) and readiness (the classifier can serve now)."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from preprocess.api.deps import PipelineDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(pipeline: PipelineDep) -> JSONResponse:
    ready = await pipeline.classifier.is_ready()
    body = {"status": "ready" if ready else "not_ready", "classifier": pipeline.settings.classifier,
            "model": pipeline.settings.model_name}
    return JSONResponse(body, status_code=200 if ready else 503)
