"""Work-queue settings of every process that sends or takes work (mixed into its Settings,
so they read ``GATEWAY_QUEUE_*``, ``WORKER_QUEUE_*``)."""

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator

from ailurus_common.queue.base import DEFAULT_MAX_ATTEMPTS, WorkQueue
from ailurus_common.queue.factory import open_work_queue

# Media left pending by an upload (or a retry) wait here for the worker.
PENDING_QUEUE = "ailurus-pending"
# Shards of batch jobs: a queue of their own, so a big job never delays interactive work.
JOBS_QUEUE = "ailurus-jobs"


class QueueSettings(BaseModel):
    # sqlite: a file shared by the local processes (the embedded default); azure: Storage Queues or Azurite.
    queue_backend: Literal["sqlite", "azure"] = "sqlite"
    queue_sqlite_path: Path = Path("var/data/queue.sqlite3")
    # Emulators only; on Azure leave it unset and give the account URL (workload identity).
    queue_connection_string: SecretStr | None = None
    queue_account_url: str | None = None
    queue_pending_name: str = Field(default=PENDING_QUEUE, pattern=r"^[a-z0-9]([a-z0-9-]{1,60})[a-z0-9]$")
    queue_jobs_name: str = Field(default=JOBS_QUEUE, pattern=r"^[a-z0-9]([a-z0-9-]{1,60})[a-z0-9]$")
    # Deliveries of one message (its consumer died each time) before it is dead-lettered.
    queue_max_attempts: int = Field(default=DEFAULT_MAX_ATTEMPTS, ge=1, le=100)

    @model_validator(mode="after")
    def _queue_configured(self) -> "QueueSettings":
        if self.queue_backend == "azure" and not (self.queue_connection_string or self.queue_account_url):
            raise ValueError("QUEUE_CONNECTION_STRING or QUEUE_ACCOUNT_URL (with the service prefix) is required "
                             "for azure queues")
        return self

    def open_work_queue(self, name: str) -> WorkQueue:
        """The queue ``name`` on the configured backend (no I/O yet: call ``ensure``)."""
        secret = self.queue_connection_string
        return open_work_queue(name, backend=self.queue_backend, max_attempts=self.queue_max_attempts,
                               sqlite_path=self.queue_sqlite_path, account_url=self.queue_account_url,
                               connection_string=secret.get_secret_value() if secret else None)
