"""Storage errors: backends translate their SDK's exceptions into these."""

from ailurus_common.errors import AilurusError, ErrorCode


class StorageError(AilurusError):
    status_code = 503
    code = ErrorCode.STORAGE_UNAVAILABLE


class StorageFull(StorageError):
    status_code = 507
    code = ErrorCode.STORAGE_FULL


class NotFound(StorageError):
    status_code = 404
    code = ErrorCode.NOT_FOUND


class Conflict(StorageError):
    status_code = 409
    code = ErrorCode.CONFLICT
