"""ingest app factory and lifespan."""

import asyncio
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from ailurus_common.auth.service import open_validator, require_service
from ailurus_common.logging import configure_logging
from ailurus_common.service_app import create_service_app
from ingest.api.routes import analytics, events, exports, health, jobs, maps, media, reviews, traps
from ingest.config import IngestSettings, get_settings
from ingest.events import EventPolicy
from ingest.reconcile import reconcile_forever
from ingest.store.factory import open_metadata_store

SERVICE = "ingest"


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        configure_logging(SERVICE, level=settings.log_level, json_lines=settings.log_json)
        store = open_metadata_store(
            backend=settings.metadata_backend, sqlite_path=settings.sqlite_path,
            cosmos_endpoint=settings.cosmos_endpoint,
            cosmos_key=settings.cosmos_key.get_secret_value() if settings.cosmos_key else None,
            cosmos_database=settings.cosmos_database, cosmos_container=settings.cosmos_container,
            cosmos_index_container=settings.cosmos_index_container,
            cosmos_ca_cert=settings.cosmos_ca_cert, change_settle_s=settings.change_settle_s,
        )
        await store.start()
        app.state.store = store
        app.state.events = EventPolicy(settings.sensitive_groups)
        # Only the gateway calls ingest, with its service token (checked on every /v1 route).
        app.state.token_validator = await asyncio.to_thread(open_validator, settings, internal=True)
        reconciler = asyncio.create_task(reconcile_forever(
            store, interval_s=settings.counter_reconcile_interval_s, settle_s=settings.counter_reconcile_settle_s,
            lookback_s=settings.counter_reconcile_lookback_s))
        try:
            yield
        finally:
            reconciler.cancel()
            await store.close()
            await app.state.token_validator.close()
            app.state.tracing.flush()  # what is buffered leaves before the process does

    app = create_service_app(SERVICE, settings, get_settings, title="Ailurus ingest", lifespan=lifespan,
                             health=health.router)
    for router in (traps.router, media.router, reviews.router, maps.router, analytics.router, exports.router,
                   events.router, jobs.router):
        app.include_router(router, dependencies=[Depends(require_service)])
    return app
