"""Errors ingest reports (storage errors come from the shared library)."""

from ailurus_common.errors import AilurusError


class TrapNotFound(AilurusError):
    status_code = 404
    code = "trap_not_found"


class MediaNotFound(AilurusError):
    status_code = 404
    code = "media_not_found"


class TrapExists(AilurusError):
    status_code = 409
    code = "trap_exists"


class InvalidQuery(AilurusError):
    status_code = 400
    code = "invalid_query"
