"""Readiness of preprocess: the classifier (Triton) can serve now."""

from fastapi import Request

from ailurus_common.http import health_router


async def readiness(request: Request) -> tuple[bool, dict]:
    pipeline = request.app.state.pipeline
    ready = await pipeline.classifier.is_ready()
    return ready, {"classifier": pipeline.settings.classifier, "model": pipeline.settings.model_name}


router = health_router(readiness)
