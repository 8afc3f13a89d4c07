"""The ML layer's errors as the service answers them: each ``MlErrorCode`` mapped once to an
HTTP status and a stable ``ErrorCode``."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ailurus_common.errors import AilurusError, ErrorCode, error_response
from ailurus_ml.errors import MlError, MlErrorCode

_STATUS: dict[MlErrorCode, tuple[int, ErrorCode]] = {
    MlErrorCode.SNAPSHOT_NOT_FOUND: (404, ErrorCode.DATASET_NOT_FOUND),
    MlErrorCode.GATE_FAILED: (409, ErrorCode.GATE_FAILED),
    MlErrorCode.SERVING: (409, ErrorCode.SERVING_CONFLICT),
    MlErrorCode.MODEL_LOAD_FAILED: (503, ErrorCode.MODEL_LOAD_FAILED),
    MlErrorCode.STORAGE: (503, ErrorCode.STORAGE_UNAVAILABLE),
    MlErrorCode.INVALID_NAME: (422, ErrorCode.INVALID_REQUEST),
}
# Anything else (a manifest that does not parse, bad settings) is the deployment's fault, not the caller's.
_DEFAULT = (500, ErrorCode.HTTP_ERROR)


class SwitchInProgress(AilurusError):
    """One promote or rollback at a time: a second would race the first's drain and unload."""

    status_code = 409
    code = ErrorCode.SWITCH_IN_PROGRESS


def install_ml_error_handler(app: FastAPI) -> None:
    @app.exception_handler(MlError)
    async def _ml(_: Request, exc: MlError) -> JSONResponse:
        status, code = _STATUS.get(exc.code, _DEFAULT)
        return error_response(status, code, exc.message)
