"""Liveness and readiness: ready when the blob store and ingest answer. preprocess being
down does not make the gateway unready: uploads are then stored and left pending."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from gateway.api.deps import PipelineDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(pipeline: PipelineDep) -> JSONResponse:
    checks = {"blob_store": await pipeline.blobs.is_ready(), "ingest": await pipeline.ingest.ready(),
              "preprocess": await pipeline.preprocess.ready()}
    ready = checks["blob_store"] and checks["ingest"]
    return JSONResponse({"status": "ready" if ready else "not_ready", "checks": checks},
                        status_code=200 if ready else 503)
