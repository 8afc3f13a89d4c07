"""notifier app factory and lifespan: the API and the dispatcher loop in one process."""

import asyncio
from contextlib import asynccontextmanager

import httpx
from fastapi import Depends, FastAPI

from ailurus_common.auth.service import ServiceTokens, open_validator, require_service
from ailurus_common.clients.ingest import IngestClient
from ailurus_common.logging import configure_logging
from ailurus_common.service_app import create_service_app
from notifier.api.routes import health, subscriptions
from notifier.config import NotifierSettings, get_settings
from notifier.dispatcher import Dispatcher
from notifier.store import DeliveryStore

SERVICE = "notifier"


def create_app(settings: NotifierSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        configure_logging(SERVICE, level=settings.log_level, json_lines=settings.log_json)
        store = DeliveryStore(settings.sqlite_path)
        await store.start()
        app.state.store = store
        app.state.token_validator = await asyncio.to_thread(open_validator, settings, internal=True)
        tokens = ServiceTokens(settings)
        ingest = IngestClient(settings.ingest_url, timeout_s=settings.ingest_timeout_s, tokens=tokens)
        # Redirects are never followed: a webhook must answer where it was checked.
        app.state.webhook_client = client = httpx.AsyncClient(timeout=settings.webhook_timeout_s,
                                                              follow_redirects=False, trust_env=False)
        dispatcher = Dispatcher(settings, store, source=lambda n: _pending(ingest, n), ack=ingest.ack_events,
                                client=client)
        if settings.sink == "eventgrid":
            from notifier.eventgrid import EventGridDispatcher  # only where it is chosen

            dispatcher = EventGridDispatcher(settings, source=lambda n: _pending(ingest, n), ack=ingest.ack_events)
        loop = asyncio.create_task(dispatcher.run())
        try:
            yield
        finally:
            loop.cancel()
            await asyncio.gather(loop, return_exceptions=True)
            await client.aclose()
            await ingest.close()
            await tokens.close()
            await store.close()
            await app.state.token_validator.close()
            app.state.tracing.flush()  # what is buffered leaves before the process does

    app = create_service_app(SERVICE, settings, get_settings, title="Ailurus notifier", lifespan=lifespan,
                             health=health.router)
    app.include_router(subscriptions.router, dependencies=[Depends(require_service)])
    return app


async def _pending(ingest: IngestClient, limit: int):
    return (await ingest.pending_events(limit=limit)).items
