"""Build the configured work queue. Opening does no I/O: call ``ensure`` afterwards."""

from pathlib import Path
from typing import Literal

from ailurus_common.queue.base import WorkQueue


def open_work_queue(name: str, *, backend: Literal["sqlite", "azure"], max_attempts: int | None,
                    sqlite_path: Path | None = None, connection_string: str | None = None,
                    account_url: str | None = None) -> WorkQueue:
    """The ``WorkQueue`` called ``name`` (lowercase letters, digits, hyphens).

    Args:
        name: the queue; its dead-letter queue is ``<name>-poison``.
        backend: ``"sqlite"`` (a file shared by the local processes) or ``"azure"``.
        max_attempts: deliveries before a message is dead-lettered; None: never.
        sqlite_path: the file of the SQLite queue; required for ``"sqlite"``.
        connection_string: Azure only, for emulators (Azurite).
        account_url: Azure only, ``https://<account>.queue.core.windows.net``, authenticated
            with ``DefaultAzureCredential``.

    Raises:
        ValueError: a setting the backend needs is missing, or settings conflict.
    """
    if backend == "sqlite":
        if sqlite_path is None:
            raise ValueError("queue backend 'sqlite' needs sqlite_path")
        from ailurus_common.queue.sqlite_queue import SqliteWorkQueue

        return SqliteWorkQueue(sqlite_path, name, max_attempts=max_attempts)
    if backend == "azure":
        if connection_string and account_url:
            raise ValueError("queue backend 'azure': give connection_string (emulator) or account_url, not both")
        from ailurus_common.queue.azure_queue import AzureWorkQueue

        return AzureWorkQueue.open(name, max_attempts=max_attempts, connection_string=connection_string,
                                   account_url=account_url)
    raise ValueError(f"unknown queue backend {backend!r}; expected 'sqlite' or 'azure'")
