"""Plain factories for the contract tests: valid records with fresh ids, any field overridable."""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from ailurus_common.domain import Group, MediaStatus
from ailurus_common.records import Deployment, Media, ModelRef, Observation

BASE_TIME = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
MODEL = ModelRef(name="ailurus_classifier", version="1")


def at(minutes: float = 0, *, seconds: float = 0) -> datetime:
    """A time relative to ``BASE_TIME``."""
    return BASE_TIME + timedelta(minutes=minutes, seconds=seconds)


def make_deployment(deployment_id: str | None = None, **overrides: Any) -> Deployment:
    fields: dict[str, Any] = {
        "id": deployment_id or f"trap-{uuid.uuid4().hex[:8]}", "name": "Singalila ridge trap",
        "latitude": 27.1, "longitude": 88.0, "elevation_m": 3450.0, "timezone": "Asia/Kathmandu",
    }
    return Deployment(**{**fields, **overrides})


def make_media(deployment_id: str, *, timestamp: datetime = BASE_TIME, **overrides: Any) -> Media:
    media_id = overrides.pop("id", None) or hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    fields: dict[str, Any] = {
        "id": media_id, "deployment_id": deployment_id, "file_name": f"IMG_{media_id[:6]}.JPG",
        "media_type": "image/jpeg", "size_bytes": 2_345_678, "blob_original": f"{deployment_id}/{media_id}.jpg",
        "timestamp": timestamp, "uploaded_by": "tester",
    }
    return Media(**{**fields, **overrides})


def make_observation(group: Group, *, method: Literal["machine", "human"] = "machine", label: str | None = None,
                     probability: float | None = 0.9) -> Observation:
    machine = method == "machine"
    return Observation(id=uuid.uuid4().hex, group=group, label=label or str(group), probability=probability,
                       method=method, classified_by=f"{MODEL.name}:{MODEL.version}" if machine else "reviewer-1",
                       model=MODEL if machine else None)


def classified(media: Media, group: Group, *, method: Literal["machine", "human"] = "machine",
               label: str | None = None, probability: float | None = 0.9) -> Media:
    """``media`` with a new observation and status classified."""
    observation = make_observation(group, method=method, label=label, probability=probability)
    return media.with_observation(observation).model_copy(update={"status": MediaStatus.CLASSIFIED})


def failed(media: Media) -> Media:
    return media.model_copy(update={"status": MediaStatus.FAILED})
