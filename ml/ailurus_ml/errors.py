"""The ML layer's errors: one base class, a stable machine code and a human message each.
The CLI prints them without a traceback; they are the user's mistake or the store's state."""

from enum import StrEnum


class MlErrorCode(StrEnum):
    BAD_SOURCE = "bad_source"  # the path to import is missing or not the format it was said to be
    BAD_LABEL_MAP = "bad_label_map"
    INVALID_NAME = "invalid_name"
    SNAPSHOT_NOT_FOUND = "snapshot_not_found"
    BAD_SNAPSHOT = "bad_snapshot"  # a stored manifest that does not parse
    BAD_SETTINGS = "bad_settings"
    STORAGE = "storage"
    BAD_SPLIT = "bad_split"
    METHOD_NOT_BUILT = "method_not_built"
    SERVING = "serving_error"
    MODEL_LOAD_FAILED = "model_load_failed"
    GATE_FAILED = "gate_failed"


class MlError(Exception):
    """Base of every error the ML layer raises on purpose."""

    code: MlErrorCode = MlErrorCode.BAD_SOURCE

    def __init__(self, message: str, *, code: MlErrorCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class BadSource(MlError):
    code = MlErrorCode.BAD_SOURCE


class BadLabelMap(MlError):
    code = MlErrorCode.BAD_LABEL_MAP


class InvalidName(MlError):
    code = MlErrorCode.INVALID_NAME


class SnapshotNotFound(MlError):
    code = MlErrorCode.SNAPSHOT_NOT_FOUND


class BadSnapshot(MlError):
    code = MlErrorCode.BAD_SNAPSHOT


class SplitError(MlError):
    """The requested held-out sites or fraction cannot make a train/test split."""

    code = MlErrorCode.BAD_SPLIT


class MethodNotBuilt(MlError):
    """A training method this CPU build does not offer."""

    code = MlErrorCode.METHOD_NOT_BUILT


class ServingError(MlError):
    """A promote or rollback that cannot be done (nothing was switched)."""

    code = MlErrorCode.SERVING


class ModelLoadFailed(ServingError):
    """Triton did not load the model (or it never became ready): the old model still serves."""

    code = MlErrorCode.MODEL_LOAD_FAILED
