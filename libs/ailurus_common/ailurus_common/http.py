"""ASGI pieces every service mounts: request-body limit, HTTP metrics, ``/metrics``."""

import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ailurus_common.errors import AilurusError, ErrorCode, error_response

HTTP_REQUEST_SECONDS = Histogram(
    "ailurus_http_request_duration_seconds", "HTTP request latency by route template and status.",
    ["service", "method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


class PayloadTooLarge(AilurusError):
    status_code = 413
    code = ErrorCode.TOO_LARGE


class BodySizeLimitMiddleware:
    """Refuse a body over ``max_body_bytes`` without reading it all: by Content-Length up
    front, and by counting streamed chunks (chunked uploads carry no length)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                # Outside the app's exception handlers here: answer directly.
                message = f"the request body has {int(value)} bytes; the limit is {limit}"
                response = error_response(413, PayloadTooLarge.code, message)
                await response(scope, receive, send)
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(f"the request body exceeds the limit of {limit} bytes")
            return message

        await self.app(scope, limited_receive, send)


def route_template(scope: Scope) -> str:
    """The matched route's full template (``/api/v1/traps/{trap_id}``), or ``unmatched``.

    The route object in the scope knows only its own router's part of the path (the
    prefixes of routers it was included through are lost), so the missing prefix is taken
    from the request path: the segments in front of the template's own.
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    if template is None:
        return "unmatched"
    segments = scope["path"].split("/")
    depth = template.count("/")
    prefix = "/".join(segments[: len(segments) - depth]) if depth < len(segments) else ""
    return prefix + template


class HttpMetricsMiddleware:
    """Latency histogram labelled by route *template* (never by raw path: ids would
    explode the label set)."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            HTTP_REQUEST_SECONDS.labels(self.service, scope["method"], route_template(scope), str(status)).observe(
                time.perf_counter() - start)


def add_metrics_route(app: FastAPI) -> None:
    """Serve the process's Prometheus registry at ``/metrics``."""

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


Readiness = Callable[[Request], Awaitable[tuple[bool, dict]]]


def health_router(readiness: Readiness) -> APIRouter:
    """``/healthz``: the process answers (liveness). ``/readyz``: ``readiness`` says what
    the service depends on is usable now; 503 when it is not. The chart probes them apart,
    so a dependency outage takes a pod out of rotation without restarting it."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        ready, details = await readiness(request)
        return JSONResponse({"status": "ready" if ready else "not_ready", **details}, status_code=200 if ready else 503)

    return router
