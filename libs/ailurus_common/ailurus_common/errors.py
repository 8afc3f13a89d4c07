"""The one error type services raise, and its mapping to HTTP responses.

Every error carries a stable machine ``code`` and a human ``message``; the HTTP status
is chosen once, here or in the subclass, never in a handler.
"""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class AilurusError(Exception):
    """Base class of every error a service reports to its caller."""

    status_code: int = 400
    code: str = "bad_request"
    # Extra response headers (``WWW-Authenticate`` on 401s); ``Retry-After`` comes from ``retry_after_s``.
    headers: dict[str, str] | None = None

    def __init__(self, message: str, *, code: str | None = None, status_code: int | None = None,
                 retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        self.retry_after_s = retry_after_s


class ServiceUnavailable(AilurusError):
    """A dependency (Triton, a store) cannot serve now; the caller should retry later."""

    status_code = 503
    code = "service_unavailable"


def error_response(status_code: int, code: str, message: str, *, retry_after_s: int | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    headers = dict(headers or {})
    if retry_after_s is not None:
        headers["Retry-After"] = str(retry_after_s)
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status_code, headers=headers or None)


_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "invalid_request", 429: "rate_limited", 503: "service_unavailable",
}


def install_error_handlers(app: FastAPI) -> None:
    """Render every error, including framework ones, as ``{error: {code, message}}``."""

    @app.exception_handler(AilurusError)
    async def _ailurus(_: Request, exc: AilurusError) -> JSONResponse:
        return error_response(exc.status_code, exc.code, exc.message, retry_after_s=exc.retry_after_s,
                              headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_response(422, "invalid_request", f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, _HTTP_CODES.get(exc.status_code, "http_error"), str(exc.detail))
