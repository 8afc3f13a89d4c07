"""Folder-per-class imports: the camtrapr-stations tree exactly, layouts, hostile files,
duplicates, immutable snapshots, images stored once across snapshots."""

from collections import Counter
from pathlib import Path

import pytest

from ailurus_common.storage.blob import DATASETS
from ailurus_common.storage.local_blob import LocalBlobStore
from ailurus_ml.datasets.folder import Layout, list_folder
from ailurus_ml.datasets.importer import import_listing
from ailurus_ml.datasets.labels import LabelResolver
from ailurus_ml.datasets.store import IMAGES_PREFIX, SnapshotStore
from ailurus_ml.errors import BadSource
from ailurus_ml.manifest import ProblemCode, SourceFormat
from tests.support.datasets import STATIONS_COUNTS, STATIONS_DIR, STATIONS_IMAGES, station_files
from tests.support.samples import sample


def per_site_class(manifest) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter] = {}
    for item in manifest.items:
        counts.setdefault(item.site, Counter())[item.label] += 1
    return {site: dict(counter) for site, counter in counts.items()}


def link(tree: Path, relative: str, target: Path) -> None:
    path = tree / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)


async def test_import_stations_counts_per_site_and_class_exact(snapshots: SnapshotStore, blobs: LocalBlobStore) -> None:
    listing, layout = list_folder(STATIONS_DIR)
    outcome = await import_listing(listing, store=snapshots, name="stations", source_format=SourceFormat.FOLDER)
    manifest = outcome.manifest
    assert layout is Layout.SITE_CLASS
    assert per_site_class(manifest) == STATIONS_COUNTS
    assert len(manifest.items) == STATIONS_IMAGES and manifest.problems == []
    assert manifest.classes == ["egy", "mne", "pbe", "tra", "unid", "vta"]
    assert outcome.created and outcome.images_written == STATIONS_IMAGES
    assert len(await blobs.list_names(DATASETS, IMAGES_PREFIX)) == STATIONS_IMAGES
    first = manifest.items[0]
    assert first.source_label.isupper() and first.captured_at is not None  # EXIF DateTimeOriginal
    assert await snapshots.get_image(first.sha256) == (STATIONS_DIR / first.source).read_bytes()


async def test_import_same_tree_twice_same_id_not_rewritten(snapshots: SnapshotStore, blobs: LocalBlobStore) -> None:
    listing, _ = list_folder(STATIONS_DIR)
    first = await import_listing(listing, store=snapshots, name="stations", source_format=SourceFormat.FOLDER)
    stored = await blobs.get(DATASETS, f"snapshots/{first.manifest.id}.json")
    again = await import_listing(listing, store=snapshots, name="stations", source_format=SourceFormat.FOLDER)
    assert again.manifest.id == first.manifest.id
    assert (again.created, again.images_written) == (False, 0)
    assert again.manifest.created_at == first.manifest.created_at
    assert await blobs.get(DATASETS, f"snapshots/{first.manifest.id}.json") == stored
    assert await snapshots.list_ids() == [first.manifest.id]


async def test_import_subset_shares_images_stored_once(snapshots: SnapshotStore, blobs: LocalBlobStore,
                                                       tmp_path: Path) -> None:
    listing, _ = list_folder(STATIONS_DIR)
    await import_listing(listing, store=snapshots, name="stations", source_format=SourceFormat.FOLDER)
    subset = tmp_path / "subset"
    for path in station_files("StationA", "PBE"):
        link(subset, f"PBE/{path.name}", path)
    sub_listing, layout = list_folder(subset)
    outcome = await import_listing(sub_listing, store=snapshots, name="subset", source_format=SourceFormat.FOLDER)
    assert layout is Layout.CLASS
    assert len(outcome.manifest.items) == 6 and outcome.images_written == 0
    assert {item.site for item in outcome.manifest.items} == {None}
    assert len(await blobs.list_names(DATASETS, IMAGES_PREFIX)) == STATIONS_IMAGES
    assert len(await snapshots.list_ids()) == 2


async def test_import_hostile_files_reported_not_fatal(snapshots: SnapshotStore, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    good = station_files("StationA", "VTA")
    link(tree, "site1/cat/good.jpg", good[0])
    link(tree, "site1/cat/copy.jpg", good[0])  # same bytes again
    link(tree, "site1/cat/truncated.jpg", sample("badinput/speciesnet_african_elephants_truncated_file.jpg"))
    link(tree, "site1/cat/bomb.jpg", sample("badinput/briar_lottapixel.jpg"))
    link(tree, "site1/cat/empty.JPG", sample("badinput/animl_error_img.JPG"))
    (tree / "site1/cat/notes.jpg").write_text("not a photo")
    (tree / "site1/stray.jpg").write_bytes(good[1].read_bytes())  # no class folder
    (tree / "site1/cat/.DS_Store").write_bytes(b"\x00")  # hidden: skipped
    listing, _ = list_folder(tree, Layout.SITE_CLASS)
    outcome = await import_listing(listing, store=snapshots, name="hostile", source_format=SourceFormat.FOLDER)
    problems = {problem.source: problem.code for problem in outcome.manifest.problems}
    # Files are judged in sorted order: the first copy stays, the second is the duplicate.
    assert [item.source for item in outcome.manifest.items] == ["site1/cat/copy.jpg"]
    assert problems == {"site1/cat/good.jpg": ProblemCode.DUPLICATE, "site1/cat/truncated.jpg": ProblemCode.UNREADABLE,
                        "site1/cat/bomb.jpg": ProblemCode.UNREADABLE, "site1/cat/empty.JPG": ProblemCode.UNREADABLE,
                        "site1/cat/notes.jpg": ProblemCode.UNREADABLE, "site1/stray.jpg": ProblemCode.MISSING_LABEL}


async def test_import_label_map_missing_label_left_out(snapshots: SnapshotStore) -> None:
    listing, _ = list_folder(STATIONS_DIR)
    labels = LabelResolver({"PBE": "leopard_cat", "VTA": "civet", "MNE": "macaque", "UNID": "unknown", "EGY": "moonrat"})
    outcome = await import_listing(listing, store=snapshots, name="mapped", source_format=SourceFormat.FOLDER,
                                   labels=labels)
    manifest = outcome.manifest
    assert manifest.classes == ["civet", "leopard_cat", "macaque", "moonrat", "unknown"]
    assert len(manifest.items) == STATIONS_IMAGES - 17
    assert Counter(problem.code for problem in manifest.problems) == {ProblemCode.UNKNOWN_LABEL: 17}
    assert all(problem.source.startswith("StationC/TRA/") for problem in manifest.problems)
    assert manifest.label_map["PBE"] == "leopard_cat"


def test_list_folder_missing_or_flat_raises(tmp_path: Path) -> None:
    with pytest.raises(BadSource, match="not a folder"):
        list_folder(tmp_path / "absent")
    (tmp_path / "a.jpg").write_bytes(b"x")
    with pytest.raises(BadSource, match="no <class>/<file>"):
        list_folder(tmp_path)
