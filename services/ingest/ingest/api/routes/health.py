"""Liveness and readiness (the metadata store answers)."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ingest.api.deps import StoreDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(store: StoreDep) -> JSONResponse:
    ready = await store.is_ready()
    return JSONResponse({"status": "ready" if ready else "not_ready"}, status_code=200 if ready else 503)
