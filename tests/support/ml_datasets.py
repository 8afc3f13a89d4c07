"""A test factory for training: the camtrapR stations (``<site>/<class>/<file>``, read in
place from ``../shared/datasets``) as a dataset snapshot in a local blob store."""

import asyncio
import hashlib
from datetime import UTC, datetime
from pathlib import Path

from ailurus_common.storage.local_blob import LocalBlobStore
from ailurus_ml.datasets.store import SnapshotStore, snapshot_id
from ailurus_ml.manifest import DatasetItem, DatasetManifest, SourceFormat

CAMTRAPR_DIR = (Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets" / "camtrapr-stations").resolve()


def camtrapr_items() -> list[tuple[DatasetItem, bytes]]:
    """Every photo with its site (``Station<X>``) and class folder as the label."""
    out = []
    for path in sorted(CAMTRAPR_DIR.glob("Station*/*/*.JPG")):
        data = path.read_bytes()
        site, label = path.parent.parent.name, path.parent.name
        item = DatasetItem(sha256=hashlib.sha256(data).hexdigest(), label=label, source_label=label, site=site,
                           deployment=site, source=str(path.relative_to(CAMTRAPR_DIR)))
        out.append((item, data))
    return out


def write_camtrapr_snapshot(blob_root: Path, *, name: str = "camtrapr-stations") -> DatasetManifest:
    """Store the images under ``datasets/images/<sha256>`` and the snapshot; returns it."""
    pairs = camtrapr_items()
    items = [item for item, _ in pairs]
    manifest = DatasetManifest(id=snapshot_id(name, items), name=name, created_at=datetime(2026, 1, 1, tzinfo=UTC),
                               source_format=SourceFormat.FOLDER, classes=sorted({i.label for i in items}), items=items)

    async def store_all() -> None:
        blobs = LocalBlobStore(blob_root)
        await blobs.ensure_containers()
        snapshots = SnapshotStore(blobs)
        for item, data in pairs:
            await snapshots.put_image(item.sha256, data, media_type="image/jpeg")
        await snapshots.save(manifest)
        await blobs.close()

    asyncio.run(store_all())
    return manifest
