"""Read a dataset snapshot and its image bytes from the blob store's ``datasets`` container.

A minimal loader so training does not wait for the dataset-import work; it reads the
layout ``manifest.py`` documents (``snapshots/<id>.json``, ``images/<sha256>``).
"""

import asyncio

from ailurus_common.storage.blob import DATASETS, BlobStore
from ailurus_common.storage.errors import NotFound
from ailurus_ml.errors import DatasetNotFound
from ailurus_ml.manifest import DatasetManifest

# Parallel reads: enough to hide Azure latency, few enough not to open hundreds of sockets.
MAX_CONCURRENT_READS = 16


def snapshot_blob_name(dataset_id: str) -> str:
    return f"snapshots/{dataset_id}.json"


def image_blob_name(sha256: str) -> str:
    return f"images/{sha256}"


async def load_manifest(store: BlobStore, dataset_id: str) -> DatasetManifest:
    """The snapshot ``dataset_id``; raises ``DatasetNotFound``."""
    try:
        raw = await store.get(DATASETS, snapshot_blob_name(dataset_id))
    except NotFound:
        raise DatasetNotFound(f"no dataset snapshot {dataset_id!r} in the {DATASETS} container") from None
    return DatasetManifest.model_validate_json(raw)


async def load_images(store: BlobStore, sha256s: list[str]) -> dict[str, bytes]:
    """The bytes of each image, by content hash (duplicates read once)."""
    gate = asyncio.Semaphore(MAX_CONCURRENT_READS)

    async def one(sha: str) -> tuple[str, bytes]:
        async with gate:
            return sha, await store.get(DATASETS, image_blob_name(sha))

    return dict(await asyncio.gather(*(one(sha) for sha in dict.fromkeys(sha256s))))
