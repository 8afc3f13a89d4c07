"""What travels on the work queues (``ailurus_common.queue``): JSON bodies, one model per
kind of work. The gateway sends, the worker takes."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

MEDIA_ID_PATTERN = r"^[0-9a-f]{64}$"


class PendingMedia(BaseModel):
    """A media recorded ``pending`` (stored, not classified): finish it. Sent by the upload
    path for what it could not classify, by the worker itself for a retry with back-off,
    and by its sweep for pending media that have no message (an enqueue that failed)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["pending_media"] = "pending_media"
    media_id: str = Field(pattern=MEDIA_ID_PATTERN)


# A model as jobs name it: "<name>:<version>" (contracts.serving.MODEL_NAME_PATTERN, a version number).
MODEL_KEY_PATTERN = r"^[a-z][a-z0-9_]{0,62}:[1-9][0-9]{0,8}$"
_JOB_ID = r"^[0-9a-f]{32}$"
_SHARD_ID = r"^[A-Za-z0-9_.:-]{1,128}$"
MAX_SHARD_ITEMS = 1000


class JobShard(BaseModel):
    """One shard of a batch job: classify these blobs and record them in the trap. Counted
    once by ``shard_id`` however often it is delivered. ``file_names``, when given, are the
    media's file names, one per blob (a dataset's blobs are named by hash; people are not)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["job_shard"] = "job_shard"
    job_id: str = Field(pattern=_JOB_ID)
    shard_id: str = Field(pattern=_SHARD_ID)
    trap_id: str
    container: str
    names: list[str] = Field(min_length=1, max_length=MAX_SHARD_ITEMS)
    file_names: list[Annotated[str, Field(min_length=1, max_length=255)]] | None = None
    # When the gateway sent it: a job is recorded only after all its shards are on the queue
    # (a gateway that dies in between leaves no job half-enqueued), so a shard may arrive
    # before its job; one whose job is still not recorded long after this was orphaned.
    submitted_at: datetime | None = None

    @model_validator(mode="after")
    def _one_file_name_per_blob(self) -> "JobShard":
        if self.file_names is not None and len(self.file_names) != len(self.names):
            raise ValueError("file_names must name each blob of names, in order")
        return self

    @property
    def size(self) -> int:
        """How many items the shard holds."""
        return len(self.names)


class ReclassifyShard(BaseModel):
    """One shard of a re-classification job: run these media's originals through the live
    model again and record each answer only when ``model`` (the job's) gave it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["reclassify_shard"] = "reclassify_shard"
    job_id: str = Field(pattern=_JOB_ID)
    shard_id: str = Field(pattern=_SHARD_ID)
    model: str = Field(pattern=MODEL_KEY_PATTERN)
    media_ids: list[Annotated[str, Field(pattern=MEDIA_ID_PATTERN)]] = Field(min_length=1,
                                                                             max_length=MAX_SHARD_ITEMS)
    # When the gateway sent it: a job is recorded only after all its shards are on the queue
    # (a gateway that dies in between leaves no job half-enqueued), so a shard may arrive
    # before its job; one whose job is still not recorded long after this was orphaned.
    submitted_at: datetime | None = None

    @property
    def size(self) -> int:
        """How many items the shard holds."""
        return len(self.media_ids)


# What the jobs queue carries: told apart by ``kind``.
JobWork = Annotated[JobShard | ReclassifyShard, Field(discriminator="kind")]
JOB_WORK = TypeAdapter(JobWork)
