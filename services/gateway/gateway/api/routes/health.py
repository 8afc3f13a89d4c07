"""Readiness of the gateway: the blob store and ingest answer. preprocess being down does
not make the gateway unready: uploads are then stored and left pending."""

from fastapi import Request

from ailurus_common.http import health_router


async def readiness(request: Request) -> tuple[bool, dict]:
    pipeline = request.app.state.pipeline
    checks = {"blob_store": await pipeline.blobs.is_ready(), "ingest": await pipeline.ingest.ready(),
              "preprocess": await pipeline.preprocess.ready()}
    return checks["blob_store"] and checks["ingest"], {"checks": checks}


router = health_router(readiness)
