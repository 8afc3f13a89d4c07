"""COCO Camera Traps imports from a JSON file written here, pointing at the shared images."""

import json
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from ailurus_ml.datasets.coco import list_coco, parse_datetime
from ailurus_ml.datasets.importer import import_listing
from ailurus_ml.datasets.labels import LabelResolver
from ailurus_ml.datasets.store import SnapshotStore
from ailurus_ml.errors import BadSource
from ailurus_ml.manifest import ProblemCode, SourceFormat
from tests.support.datasets import STATIONS_DIR, station_files
from tests.support.samples import sample

CATEGORIES = [{"id": 0, "name": "empty"}, {"id": 1, "name": "Leopard Cat"}, {"id": 2, "name": "civet"}]


def write_coco(tmp_path: Path) -> tuple[Path, Path]:
    """A CCT file over the stations tree plus one photo without EXIF time; returns (json, images root)."""
    root = tmp_path / "images"
    root.mkdir()
    (root / "stations").symlink_to(STATIONS_DIR)
    (root / "panda.jpg").symlink_to(sample("animals/skeydan_red_panda.jpg"))
    pbe = [f"stations/StationA/PBE/{path.name}" for path in station_files("StationA", "PBE")]
    vta = [f"stations/StationB/VTA/{path.name}" for path in station_files("StationB", "VTA")]
    images = [{"id": f"pbe{i}", "file_name": name, "location": "StationA", "datetime": "2009-04-21 00:40:00"}
              for i, name in enumerate(pbe[:3])]
    images += [
        {"id": "blank", "file_name": vta[0], "location": 7},
        {"id": "missing", "file_name": "stations/StationA/PBE/absent.JPG", "location": "StationA"},
        {"id": "corrupt", "file_name": pbe[3], "location": "StationA", "corrupt": True},
        {"id": "dup", "file_name": pbe[0], "location": "StationA"},
        {"id": "conflict", "file_name": pbe[4], "location": "StationA"},
        {"id": "twice", "file_name": pbe[5], "location": "StationA"},
        {"id": "unlabelled", "file_name": vta[1], "location": "StationB"},
        {"id": "nameless", "file_name": "panda.jpg"},
        {"id": "escape", "file_name": "../../etc/passwd"},
        {"id": "panda", "file_name": "panda.jpg", "location": "zoo", "datetime": "2020-01-02T03:04:05"},
    ]
    annotations = [{"id": f"a{i}", "image_id": image_id, "category_id": category}
                   for i, (image_id, category) in enumerate([
                       ("pbe0", 1), ("pbe1", 1), ("pbe2", 1), ("blank", 0), ("missing", 1), ("corrupt", 1), ("dup", 1),
                       ("conflict", 1), ("conflict", 2), ("twice", 1), ("twice", 1), ("nameless", 9), ("panda", 2)])]
    path = tmp_path / "cct.json"
    path.write_text(json.dumps({"info": {"version": "1", "description": "test"}, "images": images,
                                "categories": CATEGORIES, "annotations": annotations}))
    return path, root


async def test_import_coco_labels_sites_problems_exact(snapshots: SnapshotStore, tmp_path: Path) -> None:
    json_path, root = write_coco(tmp_path)
    outcome = await import_listing(list_coco(json_path, root), store=snapshots, name="cct", source_format=SourceFormat.COCO)
    manifest = outcome.manifest
    assert Counter((item.site, item.label) for item in manifest.items) == {
        ("StationA", "leopard_cat"): 4, ("7", "blank"): 1, ("zoo", "civet"): 1}
    assert {problem.source: problem.code for problem in manifest.problems} == {
        "stations/StationA/PBE/absent.JPG": ProblemCode.MISSING_FILE,
        f"stations/StationA/PBE/{station_files('StationA', 'PBE')[3].name}": ProblemCode.UNREADABLE,
        f"stations/StationA/PBE/{station_files('StationA', 'PBE')[4].name}": ProblemCode.CONFLICTING_LABELS,
        f"stations/StationB/VTA/{station_files('StationB', 'VTA')[1].name}": ProblemCode.MISSING_LABEL,
        "panda.jpg": ProblemCode.MISSING_LABEL,  # the "nameless" entry: category 9 does not exist
        "../../etc/passwd": ProblemCode.MISSING_FILE,
    } | {f"stations/StationA/PBE/{station_files('StationA', 'PBE')[0].name}": ProblemCode.DUPLICATE}
    blank = next(item for item in manifest.items if item.label == "blank")
    assert blank.source_label == "empty"
    panda = next(item for item in manifest.items if item.site == "zoo")
    assert panda.captured_at == datetime(2020, 1, 2, 3, 4, 5)  # no EXIF time: the source's datetime
    station = next(item for item in manifest.items if item.site == "StationA")
    assert station.captured_at is not None and station.captured_at.year == 2009  # EXIF wins


async def test_import_coco_label_map_unnamed_category_unknown(snapshots: SnapshotStore, tmp_path: Path) -> None:
    json_path, root = write_coco(tmp_path)
    outcome = await import_listing(list_coco(json_path, root), store=snapshots, name="cct",
                                   source_format=SourceFormat.COCO, labels=LabelResolver({"leopard cat": "felid"}))
    assert Counter(item.label for item in outcome.manifest.items) == {"felid": 4, "blank": 1}
    unknown = [problem for problem in outcome.manifest.problems if problem.code == ProblemCode.UNKNOWN_LABEL]
    # The conflicting image has a category the map does not name: unknown first, not a conflict.
    conflict = f"stations/StationA/PBE/{station_files('StationA', 'PBE')[4].name}"
    assert [problem.source for problem in unknown] == [conflict, "panda.jpg"]
    assert sum(problem.code == ProblemCode.CONFLICTING_LABELS for problem in outcome.manifest.problems) == 0


def test_list_coco_not_cct_raises(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"annotations": []}')
    with pytest.raises(BadSource, match="no 'images' list"):
        list_coco(tmp_path / "x.json")
    (tmp_path / "y.json").write_text("{broken")
    with pytest.raises(BadSource, match="not readable JSON"):
        list_coco(tmp_path / "y.json")
    with pytest.raises(BadSource, match="not a file"):
        list_coco(tmp_path / "absent.json")


@pytest.mark.parametrize(("text", "expected"), [
    ("2019-03-01 12:00:00", datetime(2019, 3, 1, 12)), ("2019:03:01 12:00:00", datetime(2019, 3, 1, 12)),
    ("garbage", None), (None, None), (17, None)])
def test_parse_datetime_cct_forms(text: object, expected: datetime | None) -> None:
    assert parse_datetime(text) == expected
