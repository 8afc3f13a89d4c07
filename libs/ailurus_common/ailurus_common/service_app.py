"""The FastAPI app every service starts from: its tracing, its settings dependency, the
stable error answers, request ids and HTTP metrics outermost, its health routes and
``/metrics``. A service adds its own routers (and names its inner middleware) on top."""

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.middleware import Middleware

from ailurus_common.errors import install_error_handlers
from ailurus_common.http import HttpMetricsMiddleware, add_metrics_route
from ailurus_common.request_context import RequestIdMiddleware
from ailurus_common.settings import ServiceSettings
from ailurus_common.telemetry import configure_tracing, instrument_app


def create_service_app(service: str, settings: ServiceSettings, get_settings: Callable[[], Any], *, title: str,
                       lifespan: Any, health: APIRouter, middleware: Sequence[Middleware] = (),
                       **fastapi_options: Any) -> FastAPI:
    """The app of ``service`` with ``settings`` answering its ``get_settings`` dependency.
    ``middleware`` runs inside the request-id and metrics layers (first = outermost of
    them). ``app.state.tracing`` is the process's :class:`~ailurus_common.telemetry.Tracing`
    (its lifespan flushes it)."""
    app = FastAPI(title=title, version="1.0.0", lifespan=lifespan, **fastapi_options)
    app.state.tracing = configure_tracing(service)
    instrument_app(app, app.state.tracing)

    async def _settings():  # async: FastAPI runs a sync dependency in a worker thread, on every request
        return settings

    app.dependency_overrides[get_settings] = _settings
    install_error_handlers(app)
    # add_middleware wraps what is there: the last added is the outermost.
    for layer in reversed(middleware):
        app.add_middleware(layer.cls, *layer.args, **layer.kwargs)
    app.add_middleware(HttpMetricsMiddleware, service=service)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(health)
    add_metrics_route(app, settings)
    return app
