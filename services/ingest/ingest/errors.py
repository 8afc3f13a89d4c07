"""Errors ingest reports (storage errors come from the shared library)."""

from ailurus_common.errors import AilurusError, ErrorCode


class TrapNotFound(AilurusError):
    status_code = 404
    code = ErrorCode.TRAP_NOT_FOUND


class MediaNotFound(AilurusError):
    status_code = 404
    code = ErrorCode.MEDIA_NOT_FOUND


class TrapExists(AilurusError):
    status_code = 409
    code = ErrorCode.TRAP_EXISTS


class InvalidQuery(AilurusError):
    status_code = 400
    code = ErrorCode.INVALID_QUERY


class Leased(AilurusError):
    """Another worker holds the pending media's retry (two gateway replicas)."""

    status_code = 409
    code = ErrorCode.LEASED


class NotPending(AilurusError):
    status_code = 409
    code = ErrorCode.NOT_PENDING
