"""Snapshots in the ``datasets`` blob container, through any ``BlobStore``.

``images/<sha256>``: each image's bytes once, shared by every snapshot that holds it
(written only when absent). ``snapshots/<id>.json``: one ``DatasetManifest``, never rewritten.
"""

import asyncio
import hashlib
import json
import re

from pydantic import ValidationError

from ailurus_common.storage.blob import DATASETS, BlobStore
from ailurus_common.storage.errors import NotFound
from ailurus_ml.errors import BadSnapshot, InvalidName, SnapshotNotFound
from ailurus_ml.manifest import DatasetItem, DatasetManifest

IMAGES_PREFIX = "images/"
SNAPSHOTS_PREFIX = "snapshots/"
MANIFEST_SUFFIX = ".json"
ID_HASH_HEX_CHARS = 12
# Parallel image reads: enough to hide Azure latency, few enough not to open hundreds of sockets.
MAX_CONCURRENT_READS = 16
# Names end up in blob names and command lines: a conservative, lowercase slug.
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
ID_PATTERN = re.compile(rf"^[a-z0-9][a-z0-9._-]{{0,63}}-[0-9a-f]{{{ID_HASH_HEX_CHARS}}}$")


def validate_name(name: str) -> str:
    """``name`` when it is a valid snapshot name; raises ``InvalidName``."""
    if not NAME_PATTERN.match(name):
        raise InvalidName(f"snapshot name {name!r}: use 1-64 lowercase letters, digits, '.', '_' or '-', "
                          "starting with a letter or digit")
    return name


def image_blob_name(sha256: str) -> str:
    """The name in ``datasets`` of an image's bytes."""
    return IMAGES_PREFIX + sha256


def slug(text: str) -> str:
    """A valid snapshot name made from any text (a folder or file name)."""
    cleaned = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")[:64].strip("-._")
    return cleaned or "dataset"


def snapshot_id(name: str, items: list[DatasetItem]) -> str:
    """``<name>-<first 12 hex of the sha256 of the items, sorted, as canonical JSON>``: the
    same content under the same name is always the same id."""
    rows = [item.model_dump(mode="json") for item in sorted(items, key=lambda item: (item.sha256, item.source))]
    canonical = json.dumps(rows, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{name}-{hashlib.sha256(canonical.encode()).hexdigest()[:ID_HASH_HEX_CHARS]}"


class SnapshotStore:
    """Save, load and list snapshots and their images."""

    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs

    async def put_image(self, sha256: str, data: bytes, *, media_type: str) -> bool:
        """Store an image under its hash unless it is there; True when this call wrote it."""
        name = IMAGES_PREFIX + sha256
        # exists() first: on Azure a refused conditional put would still have sent the bytes.
        if await self.blobs.exists(DATASETS, name):
            return False
        return await self.blobs.put(DATASETS, name, data, content_type=media_type)

    async def get_image(self, sha256: str) -> bytes:
        """The bytes of ``images/<sha256>``; raises ``NotFound``."""
        return await self.blobs.get(DATASETS, IMAGES_PREFIX + sha256)

    async def get_images(self, sha256s: list[str]) -> dict[str, bytes]:
        """The bytes of each image by content hash (duplicates read once), a few reads at a time."""
        gate = asyncio.Semaphore(MAX_CONCURRENT_READS)

        async def one(sha256: str) -> tuple[str, bytes]:
            async with gate:
                return sha256, await self.get_image(sha256)

        return dict(await asyncio.gather(*(one(sha256) for sha256 in dict.fromkeys(sha256s))))

    async def save(self, manifest: DatasetManifest) -> bool:
        """Write the manifest unless a snapshot with its id exists; True when this call wrote it."""
        data = manifest.model_dump_json(indent=1).encode()
        return await self.blobs.put(DATASETS, _manifest_name(manifest.id), data, content_type="application/json")

    async def load(self, snapshot_id: str) -> DatasetManifest:
        """The manifest of ``snapshot_id``; raises ``SnapshotNotFound`` or ``BadSnapshot``."""
        if not ID_PATTERN.match(snapshot_id):
            raise SnapshotNotFound(f"no snapshot {snapshot_id!r}: ids look like <name>-<12 hex digits> "
                                   "(`ailurus datasets list`)")
        try:
            data = await self.blobs.get(DATASETS, _manifest_name(snapshot_id))
        except NotFound:
            raise SnapshotNotFound(f"no snapshot {snapshot_id!r} (`ailurus datasets list`)") from None
        try:
            return DatasetManifest.model_validate_json(data)
        except ValidationError as exc:
            raise BadSnapshot(f"snapshot {snapshot_id!r} is not a valid manifest: {exc.error_count()} errors") from None

    async def list_ids(self) -> list[str]:
        """The ids of every stored snapshot, sorted."""
        names = await self.blobs.list_names(DATASETS, SNAPSHOTS_PREFIX)
        return [name.removeprefix(SNAPSHOTS_PREFIX).removesuffix(MANIFEST_SUFFIX)
                for name in names if name.endswith(MANIFEST_SUFFIX)]

    async def list(self) -> list[DatasetManifest]:
        """Every snapshot, oldest first (each manifest is read: fine for tens of snapshots)."""
        manifests = [await self.load(snapshot_id) for snapshot_id in await self.list_ids()]
        return sorted(manifests, key=lambda manifest: (manifest.created_at, manifest.id))


def _manifest_name(snapshot_id: str) -> str:
    return f"{SNAPSHOTS_PREFIX}{snapshot_id}{MANIFEST_SUFFIX}"
