"""ASGI pieces every service mounts: request-body limit, HTTP metrics, ``/metrics``."""

import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Histogram, generate_latest, start_http_server
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ailurus_common.errors import AilurusError, ErrorCode, error_response
from ailurus_common.settings import ServiceSettings

HTTP_REQUEST_SECONDS = Histogram(
    "ailurus_http_request_duration_seconds", "HTTP request latency by route template and status.",
    ["service", "method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


class PayloadTooLarge(AilurusError):
    status_code = 413
    code = ErrorCode.TOO_LARGE


# Limits up to this are enforced by reading the body before the app (small JSON bodies);
# larger ones by counting while the app streams it (uploads, never held whole).
PREREAD_MAX_BYTES = 1024 * 1024


@dataclass(frozen=True)
class BodyLimit:
    """The body limit of the requests whose method is ``method`` and whose whole path matches ``path``."""

    method: str
    path: str
    max_bytes: int

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and re.fullmatch(self.path, path) is not None


class BodySizeLimitMiddleware:
    """Refuse a body over its route's limit without reading it all: by Content-Length up
    front, and by counting streamed chunks (chunked uploads carry no length). Runs before
    routing and before auth, so an anonymous caller cannot make the service buffer a large
    body: ``max_body_bytes`` is every route's limit but those ``routes`` name (an allow-list
    of the few that take large bodies, and the ones that take less)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, routes: Sequence[BodyLimit] = ()) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.routes = tuple(routes)

    def limit_for(self, method: str, path: str) -> int:
        return next((r.max_bytes for r in self.routes if r.matches(method, path)), self.max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                # Outside the app's exception handlers here: answer directly.
                message = f"the request body has {int(value)} bytes; the limit of this route is {limit}"
                response = error_response(413, PayloadTooLarge.code, message)
                await response(scope, receive, send)
                return
        if limit <= PREREAD_MAX_BYTES:
            await self._preread(limit, scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(f"the request body exceeds the limit of this route ({limit} bytes)")
            return message

        await self.app(scope, limited_receive, send)

    async def _preread(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        """A small limit: read the body here, then hand it on. Body parsers turn any error
        raised while they read into their own 400, so the limit is enforced before them."""
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                message = f"the request body exceeds the limit of this route ({limit} bytes)"
                await error_response(413, PayloadTooLarge.code, message)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: disconnect notices

        await self.app(scope, replay, send)


class ResponseHeadersMiddleware:
    """Add fixed headers to every response (e.g. Strict-Transport-Security)."""

    def __init__(self, app: ASGIApp, *, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self.headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


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


def add_metrics_route(app: FastAPI, settings: ServiceSettings) -> None:
    """Serve the process's Prometheus registry at ``/metrics`` on the service's own port,
    unless it has a metrics port of its own (``serve_metrics``): then the API has none."""
    if settings.metrics_port is not None:
        return

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


def serve_metrics(settings: ServiceSettings) -> None:
    """Start the metrics server on ``metrics_port`` when one is set (a daemon thread)."""
    if settings.metrics_port is not None:
        start_http_server(settings.metrics_port, addr=settings.host)
