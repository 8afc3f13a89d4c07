"""``PreprocessClient``: ``POST /v1/classify``, its answer as the contract model or a typed
outcome (a bad image, or an outage that leaves the file pending)."""

from dataclasses import dataclass

from ailurus_common.clients.base import ServiceClient, UpstreamUnavailable
from ailurus_common.contracts.classify import CLASSIFY_PATH, MEDIA_ID_PARAM, ClassifyResult
from ailurus_common.errors import ErrorCode

# Only these answers mean "this image is bad". Anything else (401/403 of a token problem,
# 404 of a wrong route, 422 of a bad parameter, 429, 5xx) is an outage: never a reason to
# reject or delete an upload.
IMAGE_ERRORS = frozenset({ErrorCode.EMPTY_FILE, ErrorCode.NO_FILE, ErrorCode.TOO_LARGE, ErrorCode.UNSUPPORTED_FORMAT,
                          ErrorCode.INVALID_IMAGE, ErrorCode.CORRUPT_IMAGE, ErrorCode.TOO_MANY_PIXELS,
                          ErrorCode.OVER_DECODE_BUDGET, ErrorCode.BAD_DIMENSIONS})


@dataclass(frozen=True)
class Rejected:
    code: ErrorCode
    message: str


# Answers of a preprocess that failed on this very request (not a 503 "down, retry later").
_INTERRUPTED_STATUSES = frozenset({500, 502, 504})


@dataclass(frozen=True)
class Unavailable:
    """No answer about the image. ``interrupted``: the call died on this request (the
    service crashed, hung or failed on it); a file that does that twice is a poison pill."""

    message: str
    interrupted: bool = False


class PreprocessClient(ServiceClient):
    service = "preprocess"

    async def classify(self, data: bytes, *, media_id: str | None = None) -> ClassifyResult | Rejected | Unavailable:
        """Classify one image; with ``media_id`` preprocess also stores its thumbnail."""
        try:
            response = await self._send("POST", CLASSIFY_PATH, params={MEDIA_ID_PARAM: media_id}, content=data,
                                        headers={"content-type": "application/octet-stream"})
        except UpstreamUnavailable as exc:
            return Unavailable(exc.message, interrupted=exc.interrupted)
        if response.status_code == 200:
            return ClassifyResult.model_validate_json(response.content)
        code, message = response.error()
        if 400 <= response.status_code < 500 and code in IMAGE_ERRORS:
            return Rejected(code, message)
        return Unavailable(f"{response.status_code} {code}: {message}",
                           interrupted=response.status_code in _INTERRUPTED_STATUSES)
