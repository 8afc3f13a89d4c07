"""preprocess app factory and lifespan."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.middleware import Middleware

from ailurus_common.auth.service import open_validator, require_service
from ailurus_common.http import BodySizeLimitMiddleware
from ailurus_common.logging import configure_logging
from ailurus_common.service_app import create_service_app
from preprocess.api.routes import classify, health
from preprocess.catalog import ModelCatalog
from preprocess.classifier.base import Classifier
from preprocess.config import PreprocessSettings, get_settings
from preprocess.decode import configure_decoders
from preprocess.pipeline import Pipeline
from preprocess.serving import ServingPointer

SERVICE = "preprocess"


def build_classifier(settings: PreprocessSettings) -> Classifier:
    if settings.classifier == "onnx":
        from preprocess.classifier.onnx import OnnxClassifier
        return OnnxClassifier(settings.model_dir, settings.model_name, threads=settings.onnx_threads)
    from preprocess.classifier.triton import TritonClassifier
    return TritonClassifier(settings.triton_url, timeout_s=settings.triton_timeout_s,
                            retries=settings.triton_retries, retry_backoff_s=settings.triton_retry_backoff_s,
                            retry_after_s=settings.retry_after_s)


def create_app(settings: PreprocessSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        configure_logging(SERVICE, level=settings.log_level, json_lines=settings.log_json)
        configure_decoders(max_pixels=settings.max_pixels)
        executor = ThreadPoolExecutor(max_workers=settings.decode_threads, thread_name_prefix="decode")
        classifier = build_classifier(settings)
        blobs = settings.open_blob_store()
        await blobs.ensure_containers()
        catalog = ModelCatalog(blobs, fallback_name=settings.model_name, fallback_dir=settings.model_dir)
        await catalog.taxonomy(settings.model_name)  # the base model's files must be there at start
        serving = ServingPointer(blobs, default_model=settings.model_name, poll_s=settings.serving_poll_s)
        await serving.start()
        app.state.pipeline = Pipeline(settings, classifier, catalog, serving, executor, blobs)
        app.state.token_validator = await asyncio.to_thread(open_validator, settings, internal=True)
        try:
            yield
        finally:
            await serving.close()
            await classifier.close()
            await blobs.close()
            executor.shutdown(wait=True)
            await app.state.token_validator.close()
            app.state.tracing.flush()  # what is buffered leaves before the process does

    app = create_service_app(SERVICE, settings, get_settings, title="Ailurus preprocess", lifespan=lifespan,
                             health=health.router,
                             middleware=[Middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)])
    app.include_router(classify.router, dependencies=[Depends(require_service)])
    return app
