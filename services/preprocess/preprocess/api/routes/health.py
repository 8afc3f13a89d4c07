"""Readiness of preprocess: the classifier (Triton) can serve now and thumbnails can be stored."""

from fastapi import Request

from ailurus_common.http import health_router


async def readiness(request: Request) -> tuple[bool, dict]:
    pipeline = request.app.state.pipeline
    model = pipeline.serving.current
    classifier_ready, blobs_ready = await pipeline.classifier.is_ready(model), await pipeline.blobs.is_ready()
    return classifier_ready and blobs_ready, {"classifier": pipeline.settings.classifier, "model": str(model),
                                              "blobs": blobs_ready}


router = health_router(readiness)
