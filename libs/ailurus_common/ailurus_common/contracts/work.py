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


class JobShard(BaseModel):
    """One shard of a batch job: classify these blobs and record them in the trap. Counted
    once by ``shard_id`` however often it is delivered."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["job_shard"] = "job_shard"
    job_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    shard_id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")
    trap_id: str
    container: str
    names: list[str] = Field(min_length=1, max_length=1000)
