"""Public response bodies of the gateway (the contract partners code against)."""

from typing import Literal

from pydantic import BaseModel, Field

from ailurus_common.contracts import MachinePrediction
from ailurus_common.records import ErrorInfo


class FileResult(BaseModel):
    """One uploaded file's outcome, in request order."""

    filename: str
    status: Literal["classified", "duplicate", "pending", "rejected"] = Field(
        description="classified: stored, recorded and labelled; duplicate: same bytes recorded before (no new record); "
                    "pending: stored and recorded, labelled later; rejected: not stored, see error.")
    media_id: str | None = None
    error: ErrorInfo | None = None
    prediction: MachinePrediction | None = None


class UploadResponse(BaseModel):
    results: list[FileResult]
