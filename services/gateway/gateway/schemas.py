"""Public response bodies of the gateway (the contract partners code against)."""

from typing import Literal

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    code: str
    message: str


class LabelScore(BaseModel):
    label: str
    score: float


class ModelInfo(BaseModel):
    name: str
    version: str


class Prediction(BaseModel):
    group: str
    label: str
    confidence: float
    blank: bool
    top_k: list[LabelScore]
    model: ModelInfo


class FileResult(BaseModel):
    """One uploaded file's outcome, in request order."""

    filename: str
    status: Literal["classified", "duplicate", "pending", "rejected"] = Field(
        description="classified: stored, recorded and labelled; duplicate: same bytes recorded before (no new record); "
                    "pending: stored and recorded, labelled later; rejected: not stored, see error.")
    media_id: str | None = None
    error: ErrorBody | None = None
    prediction: Prediction | None = None


class UploadResponse(BaseModel):
    results: list[FileResult]
