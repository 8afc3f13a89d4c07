"""Errors the gateway reports itself (downstream errors pass through with their code:
``ailurus_common.clients.base.UpstreamError``)."""

from ailurus_common.errors import AilurusError, ErrorCode


class NoFiles(AilurusError):
    status_code = 400
    code = ErrorCode.NO_FILES


class BlobMissing(AilurusError):
    status_code = 404
    code = ErrorCode.BLOB_NOT_FOUND


class OriginalRestricted(AilurusError):
    status_code = 403
    code = ErrorCode.ORIGINAL_RESTRICTED


class PersonalData(AilurusError):
    """A picture of people (labelled or reviewed human) asked for by a coarse caller."""

    status_code = 403
    code = ErrorCode.PERSONAL_DATA


class ReviewRestricted(AilurusError):
    """The review queue asked for by a coarse caller (a partner's app token with the reviewer role)."""

    status_code = 403
    code = ErrorCode.REVIEW_RESTRICTED


class MediaNotFound(AilurusError):
    """Also what a caller gets for a record it may not see: the answer of a missing one."""

    status_code = 404
    code = ErrorCode.MEDIA_NOT_FOUND


class InvalidQuery(AilurusError):
    status_code = 400
    code = ErrorCode.INVALID_QUERY


class JobNotFound(AilurusError):
    """Also what a caller gets for another caller's job: the answer of a missing one."""

    status_code = 404
    code = ErrorCode.JOB_NOT_FOUND
