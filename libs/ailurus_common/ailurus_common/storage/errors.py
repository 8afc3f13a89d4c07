"""Storage errors: backends translate their SDK's exceptions into these."""

from ailurus_common.errors import AilurusError


class StorageError(AilurusError):
    status_code = 503
    code = "storage_unavailable"


class NotFound(StorageError):
    status_code = 404
    code = "not_found"


class Conflict(StorageError):
    status_code = 409
    code = "conflict"
