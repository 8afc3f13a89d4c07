"""gateway app factory and lifespan."""

import asyncio
import contextlib
import logging
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from starlette.middleware import Middleware

from ailurus_common.auth import Role
from ailurus_common.auth.service import ServiceTokens
from ailurus_common.clients.ingest import IngestClient
from ailurus_common.clients.ml import MlClient
from ailurus_common.clients.notifier import NotifierClient
from ailurus_common.clients.preprocess import PreprocessClient
from ailurus_common.http import (
    BodyLimit,
    BodySizeLimitMiddleware,
    ResponseHeadersMiddleware,
)
from ailurus_common.logging import configure_logging
from ailurus_common.service_app import create_service_app
from gateway.api.deps import enforce_rate_limit
from gateway.api.routes import (
    analytics,
    changes,
    dashboard,
    exports,
    fieldcheck,
    health,
    images,
    jobs,
    lifecycle,
    maps,
    media,
    reviews,
    sessions,
    subscriptions,
    telemetry,
    traps,
    uploads,
)
from gateway.api.routes import auth as auth_routes
from gateway.auth import open_auth, require
from gateway.config import GatewaySettings, get_settings
from gateway.progress import ProgressHub, SharedProgress
from gateway.schemas import ErrorResponse
from gateway.sessions import SESSION_ID_PATTERN, UploadSessions
from gateway.throttle import LoginThrottle, RateLimiter
from gateway.uploads import UploadPipeline

SERVICE = "gateway"
log = logging.getLogger(__name__)
API_PREFIX = "/api/v1"
# Every error is {error: {code, message}} (codes: ailurus_common.errors.ErrorCode, docs/errors.md).
ERROR_RESPONSES = {status: {"model": ErrorResponse, "description": description} for status, description in (
    (400, "Bad request"), (401, "Missing or invalid token"), (403, "Role or precision does not allow it"),
    (404, "Not found"), (409, "Conflict"), (413, "Too large"), (415, "Unsupported media type"),
    (422, "Invalid request"), (429, "Too many requests (Retry-After)"), (503, "Unavailable now (Retry-After)"))}


async def sweep_sessions(store: UploadSessions, interval_s: float) -> None:
    """Drop expired upload sessions (and their staged blocks) every ``interval_s``."""
    while True:
        try:
            dropped = await store.sweep()
            if dropped:
                log.info("dropped %d expired upload sessions", dropped)
        except Exception as exc:  # noqa: BLE001 - a failed pass is retried on the next one
            log.warning("upload session sweep failed: %s", exc)
        await asyncio.sleep(interval_s)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        configure_logging(SERVICE, level=settings.log_level, json_lines=settings.log_json)
        # First local start generates a key and hashes passwords: off the event loop.
        app.state.auth = await asyncio.to_thread(open_auth, settings)
        app.state.token_validator = app.state.auth.validator  # what the shared auth dependencies read
        app.state.login_throttle = LoginThrottle(max_failures=settings.login_max_failures,
                                                 window_s=settings.login_window_s)
        app.state.rate_limiter = RateLimiter(per_minute=settings.rate_limit_per_minute,
                                             burst=settings.rate_limit_burst) if settings.rate_limit_per_minute else None
        blobs = settings.open_blob_store()
        await blobs.ensure_containers()
        tokens = ServiceTokens(settings)  # the gateway's own calls to ingest and preprocess
        pending = settings.open_work_queue(settings.queue_pending_name)
        await pending.ensure()
        app.state.jobs_queue = jobs_queue = settings.open_work_queue(settings.queue_jobs_name)
        await jobs_queue.ensure()
        pipeline = UploadPipeline(
            blobs=blobs, ingest=IngestClient(settings.ingest_url, timeout_s=settings.ingest_timeout_s, tokens=tokens),
            preprocess=PreprocessClient(settings.preprocess_url, timeout_s=settings.preprocess_timeout_s,
                                        max_connections=settings.fanout_concurrency * 2, tokens=tokens),
            pending=pending, record_batch=settings.record_batch, pending_delay_s=settings.pending_delay_s)
        app.state.pipeline = pipeline
        app.state.ml = MlClient(settings.ml_url, timeout_s=settings.ml_timeout_s,
                                switch_timeout_s=settings.ml_switch_timeout_s, tokens=tokens)
        app.state.notifier = NotifierClient(settings.notifier_url, timeout_s=settings.notifier_timeout_s,
                                            tokens=tokens)
        app.state.progress = ProgressHub(shared=SharedProgress(blobs) if settings.progress_shared else None,
                                         flush_s=settings.progress_flush_s, poll_s=settings.progress_poll_s)
        app.state.sessions = UploadSessions(blobs, pipeline, ttl_s=settings.upload_session_ttl_s)
        sweeper = asyncio.create_task(sweep_sessions(app.state.sessions, settings.upload_session_sweep_interval_s))
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await pipeline.ingest.close()
            await pipeline.preprocess.close()
            await app.state.ml.close()
            await app.state.notifier.close()
            await app.state.progress.close()
            await blobs.close()
            await pending.close()
            await jobs_queue.close()
            await tokens.close()
            await app.state.auth.close()
            app.state.tracing.flush()  # what is buffered leaves before the process does

    # docs_url=None: FastAPI's page loads Swagger UI from a CDN with an inline script; ours
    # (api/routes/dashboard.py) serves the vendored copy under a CSP.
    body_limits = Middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_json_body_bytes, routes=(
        BodyLimit("POST", rf"{API_PREFIX}/traps/[^/]+/images", settings.max_body_bytes),
        BodyLimit("PUT", rf"{API_PREFIX}/traps/[^/]+/uploads/sessions/{SESSION_ID_PATTERN[1:-1]}",
                  settings.max_chunk_bytes),
        BodyLimit("POST", rf"{API_PREFIX}/auth/login", settings.max_auth_body_bytes)))
    hsts = [Middleware(ResponseHeadersMiddleware, headers={
        "Strict-Transport-Security": f"max-age={settings.hsts_max_age_s}; includeSubDomains"})] \
        if settings.hsts_max_age_s else []
    app = create_service_app(SERVICE, settings, get_settings, title="Ailurus API", lifespan=lifespan,
                             health=health.router, middleware=[*hsts, body_limits],
                             openapi_url=f"{API_PREFIX}/openapi.json", docs_url=None, redoc_url=None)
    # Default deny: every API route needs at least a viewer token; routes add stricter roles.
    # Only the sign-in routes below (and the OpenAPI document) are public. The rate limit
    # comes first: callers without a valid token spend their address's bucket.
    api = APIRouter(prefix=API_PREFIX, dependencies=[Depends(enforce_rate_limit), Depends(require(Role.VIEWER))],
                    responses=ERROR_RESPONSES)
    for router in (traps.router, images.router, uploads.router, sessions.router, fieldcheck.router, media.router,
                   reviews.router, maps.router,
                   analytics.router, exports.router, changes.router, telemetry.router, lifecycle.router,
                   subscriptions.router, jobs.router):
        api.include_router(router)
    app.include_router(api)
    app.include_router(auth_routes.router, prefix=API_PREFIX, responses=ERROR_RESPONSES,
                       dependencies=[Depends(enforce_rate_limit)])
    app.include_router(dashboard.router)  # the web dashboard: /, /static, /api/v1/ui/config
    return app
