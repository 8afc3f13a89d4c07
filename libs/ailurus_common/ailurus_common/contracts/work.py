"""What travels on the work queues (``ailurus_common.queue``): JSON bodies, one model per
kind of work. The gateway sends, the worker takes."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

MEDIA_ID_PATTERN = r"^[0-9a-f]{64}$"


class PendingMedia(BaseModel):
    """A media recorded ``pending`` (stored, not classified): finish it. Sent by the upload
    path for what it could not classify, by the worker itself for a retry with back-off,
    and by its sweep for pending media that have no message (an enqueue that failed)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["pending_media"] = "pending_media"
    media_id: str = Field(pattern=MEDIA_ID_PATTERN)
