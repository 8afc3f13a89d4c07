"""Errors preprocess reports, each with a stable code (clients switch on the code)."""

from ailurus_common.errors import AilurusError, ServiceUnavailable


class ImageError(AilurusError):
    """The uploaded bytes are not an image this service can classify (a 4xx)."""

    status_code = 422
    code = "invalid_image"


class EmptyFile(ImageError):
    status_code = 400
    code = "empty_file"


class TooLarge(ImageError):
    status_code = 413
    code = "too_large"


class UnsupportedFormat(ImageError):
    status_code = 415
    code = "unsupported_format"


class CorruptImage(ImageError):
    status_code = 422
    code = "corrupt_image"


class TooManyPixels(ImageError):
    status_code = 413
    code = "too_many_pixels"


class BadDimensions(ImageError):
    status_code = 422
    code = "bad_dimensions"


class ClassifierUnavailable(ServiceUnavailable):
    code = "classifier_unavailable"
