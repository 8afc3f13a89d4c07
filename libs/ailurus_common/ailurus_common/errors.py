"""The one error type services raise, the one list of error codes, and their mapping to
HTTP responses.

Every error carries a stable machine ``code`` (an ``ErrorCode``) and a human ``message``;
the HTTP status is chosen once, here or in the subclass, never in a handler.
"""

from enum import StrEnum

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match


class ErrorCode(StrEnum):
    """Every code an Ailurus service answers with (``{error: {code, message}}``). Clients
    switch on these; a code is never renamed or reused. ``docs/errors.md`` explains each."""

    # request and framework
    BAD_REQUEST = "bad_request"
    INVALID_REQUEST = "invalid_request"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    TOO_LARGE = "too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    RATE_LIMITED = "rate_limited"
    HTTP_ERROR = "http_error"
    SERVICE_UNAVAILABLE = "service_unavailable"
    # auth
    MISSING_TOKEN = "missing_token"
    INVALID_TOKEN = "invalid_token"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_NOT_YET_VALID = "token_not_yet_valid"
    TOKEN_REVOKED = "token_revoked"
    INVALID_AUDIENCE = "invalid_audience"
    INVALID_ISSUER = "invalid_issuer"
    UNKNOWN_SIGNING_KEY = "unknown_signing_key"
    INVALID_CREDENTIALS = "invalid_credentials"
    FORBIDDEN = "forbidden"
    AUTH_UNAVAILABLE = "auth_unavailable"
    LOCAL_SIGN_IN_DISABLED = "local_sign_in_disabled"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    # uploads and images
    NO_FILES = "no_files"
    NO_FILE = "no_file"
    TOO_MANY_FILES = "too_many_files"
    EMPTY_FILE = "empty_file"
    UNSUPPORTED_FORMAT = "unsupported_format"
    INVALID_IMAGE = "invalid_image"
    CORRUPT_IMAGE = "corrupt_image"
    TOO_MANY_PIXELS = "too_many_pixels"
    OVER_DECODE_BUDGET = "over_decode_budget"
    BAD_DIMENSIONS = "bad_dimensions"
    NOT_STORED = "not_stored"
    UPLOAD_NOT_FOUND = "upload_not_found"
    CLASSIFIER_UNAVAILABLE = "classifier_unavailable"
    CLASSIFY_INTERRUPTED = "classify_interrupted"
    POISON_FILE = "poison_file"
    ORIGINAL_MISSING = "original_missing"
    ORIGINAL_RESTRICTED = "original_restricted"
    PERSONAL_DATA = "personal_data"
    REVIEW_RESTRICTED = "review_restricted"
    BLOB_NOT_FOUND = "blob_not_found"
    # resumable upload sessions
    UPLOAD_SESSION_NOT_FOUND = "upload_session_not_found"
    UPLOAD_OFFSET_MISMATCH = "upload_offset_mismatch"
    UPLOAD_INCOMPLETE = "upload_incomplete"
    UPLOAD_HASH_MISMATCH = "upload_hash_mismatch"
    INVALID_CONTENT_RANGE = "invalid_content_range"
    # records
    TRAP_NOT_FOUND = "trap_not_found"
    TRAP_EXISTS = "trap_exists"
    MEDIA_NOT_FOUND = "media_not_found"
    DUPLICATE = "duplicate"
    LEASED = "leased"
    NOT_PENDING = "not_pending"
    INVALID_QUERY = "invalid_query"
    INVALID_CURSOR = "invalid_cursor"
    INVALID_LIMIT = "invalid_limit"
    # model lifecycle (the ML admin service)
    DATASET_NOT_FOUND = "dataset_not_found"
    MODEL_NOT_FOUND = "model_not_found"
    GATE_FAILED = "gate_failed"
    SERVING_CONFLICT = "serving_conflict"
    SWITCH_IN_PROGRESS = "switch_in_progress"
    MODEL_LOAD_FAILED = "model_load_failed"
    # batch jobs
    JOB_NOT_FOUND = "job_not_found"
    JOB_FINISHED = "job_finished"
    JOB_SOURCE_NOT_ALLOWED = "job_source_not_allowed"
    MODEL_NOT_LIVE = "model_not_live"
    JOB_EMPTY = "job_empty"
    JOB_TOO_LARGE = "job_too_large"
    # notifications
    SUBSCRIPTION_NOT_FOUND = "subscription_not_found"
    WEBHOOK_REFUSED = "webhook_refused"
    WEBHOOK_VALIDATION_FAILED = "webhook_validation_failed"
    # storage and internal services
    STORAGE_UNAVAILABLE = "storage_unavailable"
    STORAGE_FULL = "storage_full"
    CONTAINER_NOT_FOUND = "container_not_found"
    INVALID_CONTAINER_NAME = "invalid_container_name"
    INVALID_BLOB_NAME = "invalid_blob_name"
    WRITE_CONTENTION = "write_contention"
    UPSTREAM_UNAVAILABLE = "upstream_unavailable"
    UPSTREAM_ERROR = "upstream_error"

    @classmethod
    def parse(cls, value: object) -> "ErrorCode":
        """The code another service sent; ``upstream_error`` for one this build does not know."""
        try:
            return cls(str(value))
        except ValueError:
            return cls.UPSTREAM_ERROR


class AilurusError(Exception):
    """Base class of every error a service reports to its caller."""

    status_code: int = 400
    code: ErrorCode = ErrorCode.BAD_REQUEST
    # Extra response headers (``WWW-Authenticate`` on 401s); ``Retry-After`` comes from ``retry_after_s``.
    headers: dict[str, str] | None = None

    def __init__(self, message: str, *, code: ErrorCode | None = None, status_code: int | None = None,
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
    code = ErrorCode.SERVICE_UNAVAILABLE


def error_response(status_code: int, code: ErrorCode, message: str, *, retry_after_s: int | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    headers = dict(headers or {})
    if retry_after_s is not None:
        headers["Retry-After"] = str(retry_after_s)
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status_code, headers=headers or None)


_HTTP_CODES = {
    400: ErrorCode.BAD_REQUEST, 401: ErrorCode.MISSING_TOKEN, 403: ErrorCode.FORBIDDEN, 404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED, 409: ErrorCode.CONFLICT, 413: ErrorCode.TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE, 422: ErrorCode.INVALID_REQUEST, 429: ErrorCode.RATE_LIMITED,
    503: ErrorCode.SERVICE_UNAVAILABLE,
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
        return error_response(422, ErrorCode.INVALID_REQUEST, f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return error_response(exc.status_code, _HTTP_CODES.get(exc.status_code, ErrorCode.HTTP_ERROR), str(exc.detail),
                              headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path (RFC 9110's Allow). Starlette
    names only the first route that matched, and FastAPI has one route per method."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        route_methods = getattr(route, "methods", None)
        if route_methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route_methods
    return sorted(methods)
