"""The blob store for one command: opened from the settings, closed whatever happens."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ailurus_common.storage.blob import BlobStore
from ailurus_ml.config import MlSettings
from ailurus_ml.datasets.store import SnapshotStore

T = TypeVar("T")


def with_blobs(settings: MlSettings, work: Callable[[BlobStore], Awaitable[T]], *, create: bool = False) -> T:
    """Run ``work`` on the configured store (``create``: its containers first) in an event loop of its own."""

    async def main() -> T:
        blobs = settings.open_blob_store()
        try:
            if create:
                await blobs.ensure_containers()
            return await work(blobs)
        finally:
            await blobs.close()

    return asyncio.run(main())


def with_snapshots(settings: MlSettings, work: Callable[[SnapshotStore], Awaitable[T]], *, create: bool = False) -> T:
    """``with_blobs`` for the dataset snapshots."""
    return with_blobs(settings, lambda blobs: work(SnapshotStore(blobs)), create=create)
