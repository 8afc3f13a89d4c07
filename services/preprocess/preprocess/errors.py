"""Errors preprocess reports, each with a stable code (clients switch on the code)."""

from ailurus_common.errors import AilurusError, ErrorCode, ServiceUnavailable


class ImageError(AilurusError):
    """The uploaded bytes are not an image this service can classify (a 4xx)."""

    status_code = 422
    code = ErrorCode.INVALID_IMAGE


class EmptyFile(ImageError):
    status_code = 400
    code = ErrorCode.EMPTY_FILE


class TooLarge(ImageError):
    status_code = 413
    code = ErrorCode.TOO_LARGE


class UnsupportedFormat(ImageError):
    status_code = 415
    code = ErrorCode.UNSUPPORTED_FORMAT


class CorruptImage(ImageError):
    status_code = 422
    code = ErrorCode.CORRUPT_IMAGE


class TooManyPixels(ImageError):
    status_code = 413
    code = ErrorCode.TOO_MANY_PIXELS


class OverDecodeBudget(ImageError):
    status_code = 413
    code = ErrorCode.OVER_DECODE_BUDGET


class BadDimensions(ImageError):
    status_code = 422
    code = ErrorCode.BAD_DIMENSIONS


class ClassifierUnavailable(ServiceUnavailable):
    code = ErrorCode.CLASSIFIER_UNAVAILABLE
