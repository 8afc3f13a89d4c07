"""ML admin service app factory and lifespan."""

import asyncio
import contextlib
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from ailurus_common.auth.service import ServiceTokens, open_validator, require_service
from ailurus_common.clients.ingest import IngestClient
from ailurus_common.logging import configure_logging
from ailurus_common.service_app import create_service_app
from ailurus_ml.service.api.routes import datasets, health, models, serving
from ailurus_ml.service.config import MlServiceSettings, get_settings
from ailurus_ml.service.errors import install_ml_error_handler

SERVICE = "ml"


def create_app(settings: MlServiceSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Imported here: MLflow and Triton's client take seconds to import (no work at import time).
        from ailurus_ml.registry import Registry
        from ailurus_ml.service.lifecycle import Lifecycle
        from ailurus_ml.serving import open_serving

        configure_logging(SERVICE, level=settings.log_level, json_lines=settings.log_json)
        blobs = settings.open_blob_store()
        await blobs.ensure_containers()
        registry = await asyncio.to_thread(Registry.from_settings, settings)
        serving = open_serving(settings, blobs)
        # Each switch is announced in ingest's outbox (the notifier delivers it), as the CLI's are.
        ingest = IngestClient(settings.ingest_url, timeout_s=settings.ingest_timeout_s, tokens=ServiceTokens(settings))
        serving.announce = lambda event: ingest.append_events([event])
        app.state.lifecycle = Lifecycle(settings, blobs, registry, serving)
        # Only the gateway calls this service, with its service token (checked on every /v1 route).
        app.state.token_validator = await asyncio.to_thread(open_validator, settings, internal=True)
        follower = asyncio.create_task(app.state.lifecycle.follow_champion_forever(
            settings.follow_champion, interval_s=settings.champion_poll_s)) if settings.follow_champion else None
        try:
            yield
        finally:
            if follower:
                follower.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await follower
            await app.state.lifecycle.close()
            await ingest.close()
            await blobs.close()
            await app.state.token_validator.close()
            app.state.tracing.flush()  # what is buffered leaves before the process does

    app = create_service_app(SERVICE, settings, get_settings, title="Ailurus ML admin", lifespan=lifespan,
                             health=health.router)
    install_ml_error_handler(app)
    for router in (datasets.router, models.router, serving.router):
        app.include_router(router, dependencies=[Depends(require_service)])
    return app
