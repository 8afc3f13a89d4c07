"""The closed loop: reviewed media records -> a snapshot, originals read from uploads/."""

import hashlib
from datetime import UTC, datetime, timedelta

from ailurus_common.records import Media, Observation
from ailurus_common.storage.blob import UPLOADS, original_blob_name
from ailurus_common.storage.local_blob import LocalBlobStore
from ailurus_ml.datasets.importer import import_listing
from ailurus_ml.datasets.reviews import label_of, list_reviews
from ailurus_ml.datasets.store import SnapshotStore
from ailurus_ml.manifest import ProblemCode, SourceFormat
from tests.support.datasets import station_files

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def observation(method: str, group: str, label: str | None = None, *, minutes: int = 0) -> Observation:
    return Observation(id=f"{method}{minutes}", group=group, label=label, method=method,
                       classified_by="model:1" if method == "machine" else "reviewer",
                       classified_at=T0 + timedelta(minutes=minutes))


def media(data: bytes, trap: str, observations: list[Observation], *, exif_time: datetime | None = None) -> Media:
    sha = hashlib.sha256(data).hexdigest()
    return Media(id=sha, deployment_id=trap, file_name=f"{sha[:6]}.jpg", media_type="image/jpeg", size_bytes=len(data),
                 blob_original=f"{UPLOADS}/{original_blob_name(sha)}", uploaded_by="uploader",
                 timestamp=exif_time or T0, timestamp_source="exif" if exif_time else "upload",
                 observations=observations)


def test_label_of_latest_human_wins_machine_only_when_asked() -> None:
    observations = [observation("machine", "mammal", "lesser panda", minutes=0),
                    observation("human", "mammal", "leopard cat", minutes=5),
                    observation("human", "red_panda", None, minutes=9)]
    assert label_of(observations, include_machine=False) == "red_panda"  # no label: the group chosen
    assert label_of(observations[:1], include_machine=False) is None
    assert label_of(observations[:1], include_machine=True) == "lesser panda"


async def test_import_reviews_originals_from_uploads(snapshots: SnapshotStore, blobs: LocalBlobStore) -> None:
    photos = [path.read_bytes() for path in station_files("StationB", "MNE")[:4]]
    when = datetime(2025, 12, 24, 6, 30, tzinfo=UTC)
    records = [
        media(photos[0], "ridge", [observation("machine", "mammal", "macaque"), observation("human", "mammal", "macaque",
                                                                                           minutes=1)], exif_time=when),
        media(photos[1], "ridge", [observation("machine", "mammal", "macaque")]),  # never reviewed
        media(photos[2], "valley", [observation("human", "red_panda", "red panda")]),
        media(photos[3], "valley", [observation("human", "blank")]),  # original never stored: missing
    ]
    for data in photos[:3]:
        sha = hashlib.sha256(data).hexdigest()
        await blobs.put(UPLOADS, original_blob_name(sha), data, content_type="image/jpeg")
    listing, seen = list_reviews(records)
    outcome = await import_listing(listing, store=snapshots, name="reviews", source_format=SourceFormat.REVIEWS)
    manifest = outcome.manifest
    assert seen == 4
    assert {(item.site, item.label) for item in manifest.items} == {("ridge", "macaque"), ("valley", "red_panda")}
    assert [problem.code for problem in manifest.problems] == [ProblemCode.MISSING_FILE]
    ridge = next(item for item in manifest.items if item.site == "ridge")
    assert ridge.captured_at == when  # the record's corrected time, not the file's raw EXIF
    assert await snapshots.get_image(ridge.sha256) == photos[0]
    machine, _ = list_reviews(records, include_machine=True)
    assert len(machine.files) == 4
