"""The ML layer's errors: one base class, each with a stable machine code and a human message."""


class MlError(Exception):
    """Base of every error the ML layer raises on purpose."""

    code = "ml_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DatasetNotFound(MlError):
    code = "dataset_not_found"


class SplitError(MlError):
    """The requested held-out sites or fraction cannot make a train/test split."""

    code = "bad_split"


class MethodNotBuilt(MlError):
    """A training method this CPU build does not offer."""

    code = "method_not_built"
