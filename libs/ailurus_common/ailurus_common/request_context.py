"""Request id: taken from ``X-Request-ID`` (or W3C ``traceparent``) or minted, kept in a
context variable for log lines, echoed in the response and forwarded downstream."""

import contextvars
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ailurus_common.telemetry import inject_context

REQUEST_ID_HEADER = "x-request-id"
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_MAX_ID_CHARS = 128


def current_request_id() -> str | None:
    """The id of the request being handled in this task, if any."""
    return _request_id.get()


def outgoing_headers() -> dict[str, str]:
    """Headers that carry the current request id and trace context to another service."""
    rid = _request_id.get()
    return inject_context({REQUEST_ID_HEADER: rid} if rid else {})


def _pick_request_id(scope: Scope) -> str:
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
    rid = headers.get(REQUEST_ID_HEADER, "")
    if not rid and (tp := headers.get("traceparent")):
        parts = tp.split("-")
        rid = parts[1] if len(parts) == 4 else ""
    # An id from outside ends up in logs: keep it short and printable.
    if rid and len(rid) <= _MAX_ID_CHARS and rid.isprintable():
        return rid
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Pure ASGI middleware (no body buffering, so streaming uploads stay streaming)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _pick_request_id(scope)
        token = _request_id.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (REQUEST_ID_HEADER.encode(), rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _request_id.reset(token)
