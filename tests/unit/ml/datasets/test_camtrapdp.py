"""Camtrap DP imports: the standard's own example package, and a small package written here
that exercises media- vs event-level observations."""

import csv
import json
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ailurus_ml.datasets.camtrapdp import list_camtrapdp, package_name, parse_timestamp
from ailurus_ml.datasets.importer import import_listing
from ailurus_ml.datasets.store import SnapshotStore
from ailurus_ml.errors import BadSource
from ailurus_ml.manifest import ProblemCode, SourceFormat
from tests.support.datasets import CAMTRAPDP_EXAMPLE_DIR, station_files

OBSERVATION_FIELDS = ["observationID", "deploymentID", "mediaID", "eventID", "eventStart", "eventEnd",
                      "observationLevel", "observationType", "scientificName", "classificationMethod"]


async def test_import_example_package_local_media_only(snapshots: SnapshotStore) -> None:
    outcome = await import_listing(list_camtrapdp(CAMTRAPDP_EXAMPLE_DIR), store=snapshots, name="example",
                                   source_format=SourceFormat.CAMTRAPDP)
    manifest = outcome.manifest
    # 423 media: 10 files in the package (media/), 413 hosted elsewhere (URLs, not fetched).
    assert len(manifest.items) == 10
    assert Counter(problem.code for problem in manifest.problems) == {ProblemCode.REMOTE_FILE: 413}
    assert {(item.label, item.source_label, item.site, item.deployment) for item in manifest.items} == {
        ("ardea", "Ardea", "B_DM_val 4_'t WAD", "62c200a9")}
    # EXIF says 20:43 local without an offset; media.csv says the same with +01:00: kept aware.
    assert all(item.captured_at is not None and item.captured_at.utcoffset() == timedelta(hours=1)
               for item in manifest.items)
    assert package_name(CAMTRAPDP_EXAMPLE_DIR) == "camtrap-dp-example-dataset"


def write_table(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def write_package(root: Path) -> Path:
    (root / "media").mkdir(parents=True)
    photos = station_files("StationC", "TRA")
    start = datetime(2024, 5, 1, 22, 0, tzinfo=UTC)
    media = []
    for index in range(12):
        file_path = f"media/m{index}.jpg"
        (root / file_path).symlink_to(photos[index])
        media.append({"mediaID": f"m{index}", "deploymentID": "d2" if index >= 10 else "d1",
                      "timestamp": (start + timedelta(seconds=index)).isoformat(), "filePath": file_path,
                      "filePublic": "true", "fileMediatype": "image/jpeg"})
    media[7]["fileMediatype"] = "video/mp4"
    media[8]["filePath"] = "../outside.jpg"
    media[9]["filePath"] = "media/absent.jpg"
    media.append({"mediaID": "m12", "deploymentID": "d1", "timestamp": start.isoformat(),
                  "filePath": "https://example.org/m12.jpg", "filePublic": "true", "fileMediatype": "image/jpeg"})
    write_table(root / "media.csv", ["mediaID", "deploymentID", "timestamp", "filePath", "filePublic", "fileMediatype"],
                media)
    write_table(root / "deployments.csv", ["deploymentID", "locationID", "locationName", "latitude", "longitude"], [
        {"deploymentID": "d1", "locationID": "L1", "locationName": "Ridge", "latitude": "27.1", "longitude": "88.0"},
        {"deploymentID": "d2", "locationID": "L2", "locationName": "", "latitude": "27.2", "longitude": "88.1"}])

    def at(seconds: int) -> str:
        return (start + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")

    def obs(oid: str, level: str, kind: str, *, media_id: str = "", name: str = "", method: str = "human",
            span: tuple[int, int] = (0, 0), deployment: str = "d1") -> dict[str, str]:
        return {"observationID": oid, "deploymentID": deployment, "mediaID": media_id, "eventID": "",
                "eventStart": at(span[0]), "eventEnd": at(span[1]), "observationLevel": level, "observationType": kind,
                "scientificName": name, "classificationMethod": method}

    write_table(root / "observations.csv", OBSERVATION_FIELDS, [
        obs("o0", "media", "animal", media_id="m0", name="Ailurus fulgens", span=(0, 0)),
        obs("e1", "event", "animal", name="Martes flavigula", span=(1, 3)),  # m1, m2, m3 by time
        obs("o2", "media", "blank", media_id="m2", span=(2, 2)),  # media-level wins over the event
        obs("o3a", "media", "animal", media_id="m3", name="Canis", method="machine", span=(3, 3)),
        obs("o3b", "media", "animal", media_id="m3", name="Cuon alpinus", span=(3, 3)),  # human wins over machine
        obs("o4a", "media", "animal", media_id="m4", name="Ailurus fulgens", span=(4, 4)),
        obs("o4b", "media", "animal", media_id="m4", name="Martes flavigula", span=(4, 4)),
        obs("o5", "media", "unclassified", media_id="m5", span=(5, 5)),
        obs("e10", "event", "human", span=(10, 10), deployment="d2"),  # m10 only: m11 is a second later
    ])
    (root / "datapackage.json").write_text(json.dumps({"name": "mini", "resources": [
        {"name": "deployments", "path": "deployments.csv"}, {"name": "media", "path": "media.csv"},
        {"name": "observations", "path": "observations.csv"}]}))
    return root


async def test_import_package_media_and_event_observations(snapshots: SnapshotStore, tmp_path: Path) -> None:
    package = write_package(tmp_path / "pkg")
    outcome = await import_listing(list_camtrapdp(package), store=snapshots, name="mini",
                                   source_format=SourceFormat.CAMTRAPDP)
    by_media = {item.source.split(" ")[0]: (item.label, item.site, item.deployment) for item in outcome.manifest.items}
    assert by_media == {"m0": ("ailurus_fulgens", "Ridge", "d1"), "m1": ("martes_flavigula", "Ridge", "d1"),
                        "m2": ("blank", "Ridge", "d1"), "m3": ("cuon_alpinus", "Ridge", "d1"),
                        "m10": ("human", "L2", "d2")}
    problems = {problem.source.split(" ")[0]: problem.code for problem in outcome.manifest.problems}
    assert problems == {"m4": ProblemCode.CONFLICTING_LABELS, "m5": ProblemCode.MISSING_LABEL,
                        "m6": ProblemCode.MISSING_LABEL, "m7": ProblemCode.UNREADABLE, "m8": ProblemCode.MISSING_FILE,
                        "m9": ProblemCode.MISSING_FILE, "m11": ProblemCode.MISSING_LABEL,
                        "m12": ProblemCode.REMOTE_FILE}


def test_list_camtrapdp_not_a_package_raises(tmp_path: Path) -> None:
    with pytest.raises(BadSource, match="no datapackage.json"):
        list_camtrapdp(tmp_path)
    (tmp_path / "datapackage.json").write_text(json.dumps({"resources": [{"name": "media", "path": "media.csv"}]}))
    with pytest.raises(BadSource, match="lacks the resources deployments, observations"):
        list_camtrapdp(tmp_path)


def test_parse_timestamp_offsets_and_naive() -> None:
    assert parse_timestamp("2020-05-30T04:57:37+02:00") == datetime(2020, 5, 30, 4, 57, 37,
                                                                    tzinfo=timezone(timedelta(hours=2)))
    assert parse_timestamp("2020-05-30T02:57:37Z") == datetime(2020, 5, 30, 2, 57, 37, tzinfo=UTC)
    assert parse_timestamp("2020-05-30T02:57:37") == datetime(2020, 5, 30, 2, 57, 37, tzinfo=UTC)
    assert parse_timestamp("nonsense") is None
