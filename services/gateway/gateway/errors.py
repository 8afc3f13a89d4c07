"""Errors the gateway reports itself (downstream errors are passed through unchanged)."""

from ailurus_common.errors import AilurusError, ServiceUnavailable


class UpstreamError(AilurusError):
    """A downstream service answered with an error: its status and body pass through."""

    def __init__(self, status_code: int, code: str, message: str, *, retry_after_s: int | None = None) -> None:
        super().__init__(message, code=code, status_code=status_code, retry_after_s=retry_after_s)


class UpstreamUnavailable(ServiceUnavailable):
    code = "upstream_unavailable"


class TooManyFiles(AilurusError):
    status_code = 413
    code = "too_many_files"


class NoFiles(AilurusError):
    status_code = 400
    code = "no_files"


class BlobMissing(AilurusError):
    status_code = 404
    code = "blob_not_found"


class OriginalRestricted(AilurusError):
    status_code = 403
    code = "original_restricted"
