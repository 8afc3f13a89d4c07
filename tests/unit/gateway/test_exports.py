"""The export writers on rows built by both views: every Camtrap DP package validates with
frictionless against the official 1.0.2 profile and schemas, every MegaDetector file with
the MegaDetector project's validator, and a coarse caller's files carry nothing exact."""

import asyncio
import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from ailurus_common.contracts.exports import ExportItem, ExportLabel
from ailurus_common.domain import Group, MediaStatus
from ailurus_common.errors import ErrorCode
from ailurus_common.records import Deployment, Gps, ModelRef
from gateway.exports.camtrap_dp import camtrap_dp_zip
from gateway.exports.context import ExportContext
from gateway.exports.csv_table import csv_table
from gateway.exports.megadetector import megadetector_json
from gateway.privacy import PrivacyPolicy
from gateway.views import CoarseView, ExactView
from tests.support.camtrap_dp import package_errors, reference_dir
from tests.support.megadetector import validate_batch_file

POLICY = PrivacyPolicy(cell_deg=0.1, min_count=3, sensitive_groups=frozenset({"red_panda"}))
NOW = datetime(2026, 5, 1, 6, 30, tzinfo=UTC)
MODEL = ModelRef(name="ailurus_classifier", version="1")
DEN = Deployment(id="den", name="Den", latitude=27.71234, longitude=88.15678, elevation_m=3312,
                 notes="behind the fallen fir", timezone="Asia/Kathmandu")
SECRETS = ["27.712", "88.156", "3312", "fallen fir", "27.7123", "88.1567", "ranger-anna", "uploader-bob"]


def item(n: int, group: Group | None, *, method="machine", status=MediaStatus.CLASSIFIED) -> ExportItem:
    label = None
    if group is not None:
        label = ExportLabel(group=group, label="lesser panda" if group == Group.RED_PANDA else f"{group} label",
                            confidence=None if method == "human" else 0.9, method=method,
                            classified_by="ranger-anna" if method == "human" else "ailurus_classifier:1",
                            classified_at=NOW, model=MODEL)
    media_id = f"{n:064x}"
    return ExportItem(id=media_id, deployment_id="den", file_name=f"IMG_{n:04d}.JPG", media_type="image/jpeg",
                      timestamp=NOW - timedelta(minutes=n), timestamp_source="exif", status=status,
                      error_code=ErrorCode.POISON_FILE if status == MediaStatus.FAILED else None,
                      sequence_id=f"seq-{n // 3}", width=2048, height=1536, camera_make="Reconyx", camera_model="HF2",
                      label=label, shows_people=group == Group.HUMAN, has_thumbnail=group is not None,
                      gps=Gps(latitude=27.71234, longitude=88.15678), uploaded_by="uploader-bob",
                      blob_original=f"uploads/{media_id[:2]}/{media_id}", blob_thumbnail=f"{media_id}.jpg")


ITEMS = [item(0, Group.RED_PANDA), item(1, Group.MAMMAL), item(2, Group.HUMAN, method="human"), item(3, Group.BLANK),
         item(4, Group.VEHICLE), item(5, Group.OTHER), item(6, None, status=MediaStatus.FAILED),
         item(7, None, status=MediaStatus.PENDING), item(8, Group.BIRD, method="human")]
VIEWS = {"exact": ExactView(), "coarse": CoarseView(POLICY)}


def context(name: str, **overrides) -> ExportContext:
    return ExportContext(precision=VIEWS[name].precision, cell_deg=None if name == "exact" else 0.1,
                         api_url="http://127.0.0.1:8080/api/v1", created=NOW, project_title="Test network",
                         publisher="Tests", **overrides)


async def _entries(view):
    for i in ITEMS:
        if (row := view.export_row(i)) is not None:
            yield row, view.export_file(i)


async def _collect(chunks) -> bytes:
    return b"".join([c async for c in chunks])


async def _no_file(location):
    return b"\xff\xd8fake jpeg"


def camtrap(name: str, **overrides) -> zipfile.ZipFile:
    view = VIEWS[name]
    body = camtrap_dp_zip(_entries(view), {"den": view.trap(DEN)}, context(name, **overrides), _no_file)
    return zipfile.ZipFile(io.BytesIO(asyncio.run(_collect(body))))


def table(archive: zipfile.ZipFile, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode())))


@pytest.mark.parametrize("name", ["exact", "coarse"])
@pytest.mark.parametrize("include_media", [False, True])
def test_camtrap_dp_package_validates_against_official_profile(name, include_media, tmp_path):
    archive = camtrap(name, include_media=include_media)
    archive.extractall(tmp_path / "zip")
    assert package_errors(tmp_path / "zip", tmp_path) == []
    media = table(archive, "media.csv")
    # coarse: no red panda, nothing pending
    assert len(media) == len(table(archive, "observations.csv")) == (9 if name == "exact" else 7)


def test_camtrap_dp_validator_passes_the_standards_own_example(tmp_path):
    assert package_errors(reference_dir() / "example", tmp_path) == []


def test_camtrap_dp_validator_refuses_a_broken_package(tmp_path):
    archive = camtrap("exact")
    archive.extractall(tmp_path / "zip")
    (tmp_path / "rows").mkdir()
    package = json.loads((tmp_path / "zip" / "datapackage.json").read_text())
    observations = (tmp_path / "zip" / "observations.csv").read_text().replace(",animal,", ",dragon,")
    (tmp_path / "zip" / "observations.csv").write_text(observations)
    assert any("dragon" in e for e in package_errors(tmp_path / "zip", tmp_path / "rows"))
    del package["project"]
    (tmp_path / "zip" / "datapackage.json").write_text(json.dumps(package))
    assert any("'project' is a required property" in e for e in package_errors(tmp_path / "zip", tmp_path))


def test_camtrap_dp_observations_map_labels_methods_and_bursts():
    archive = camtrap("exact")
    observations = {o["mediaID"]: o for o in table(archive, "observations.csv")}
    panda, person, pending = (observations[ITEMS[i].id] for i in (0, 2, 7))
    assert (panda["observationType"], panda["scientificName"], panda["classificationMethod"]) == \
        ("animal", "Ailurus fulgens", "machine")
    assert panda["classifiedBy"] == "ailurus_classifier:1" and panda["classificationProbability"] == "0.9"
    assert panda["eventID"] == "seq-0" and panda["eventStart"].endswith("+05:45")
    assert (person["observationType"], person["classificationMethod"], person["classifiedBy"]) == \
        ("human", "human", "ranger-anna")
    assert pending["observationType"] == "unclassified"
    media = {m["mediaID"]: m for m in table(archive, "media.csv")}
    assert media[ITEMS[2].id]["filePublic"] == "false" and media[ITEMS[0].id]["filePublic"] == "true"
    package = json.loads(archive.read("datapackage.json"))
    assert {t["scientificName"] for t in package["taxonomic"]} == {"Ailurus fulgens", "Mammalia", "Aves"}
    assert "coordinatePrecision" not in package
    deployment = table(archive, "deployments.csv")[0]
    assert deployment["latitude"] == "27.712340" and "elevation_m:3312" in deployment["deploymentTags"]


def test_coarse_camtrap_dp_carries_cells_says_so_and_nothing_exact():
    archive = camtrap("coarse", include_media=True)
    everything = "\n".join(archive.read(n).decode(errors="replace") for n in archive.namelist())
    assert [s for s in SECRETS if s in everything] == []
    package = json.loads(archive.read("datapackage.json"))
    assert package["coordinatePrecision"] == 0.1
    deployment = table(archive, "deployments.csv")[0]
    assert (deployment["latitude"], deployment["longitude"]) == ("27.750000", "88.150000")
    assert int(deployment["coordinateUncertainty"]) > 7000  # half a 0.1 degree cell's diagonal
    observations = table(archive, "observations.csv")
    assert "Ailurus fulgens" not in everything and ITEMS[0].id not in everything  # the sighting is not there
    assert {o["classifiedBy"] for o in observations if o["classificationMethod"] == "human"} == {"reviewer"}
    person = ITEMS[2].id
    assert not [n for n in archive.namelist() if person in n]  # no file of people
    files = [n for n in archive.namelist() if n.startswith("media/")]
    assert files and all(n.endswith(".jpg") for n in files)


@pytest.mark.parametrize("name", ["exact", "coarse"])
def test_megadetector_file_validates_with_megadetector_validator(name, tmp_path):
    path = tmp_path / "md.json"
    path.write_bytes(asyncio.run(_collect(megadetector_json(_entries(VIEWS[name]), context(name)))))
    assert validate_batch_file(path) == {"errors": [], "warnings": []}
    results = json.loads(path.read_text())
    assert results["info"]["format_version"] == "1.6"
    by_id = {image["file"].split("/")[-1].split(".")[0]: image for image in results["images"]}
    assert by_id[ITEMS[3].id]["detections"] == []
    assert by_id[ITEMS[6].id]["detections"] is None and "poison_file" in by_id[ITEMS[6].id]["failure"]
    person = by_id[ITEMS[2].id]["detections"][0]
    assert person["category"] == "2" and person["bbox"] == [0, 0, 1, 1] and person["conf"] == 1.0
    assert (ITEMS[0].id in by_id) is (name == "exact")


@pytest.mark.parametrize("name", ["exact", "coarse"])
def test_csv_has_one_row_per_media_at_caller_precision(name):
    view = VIEWS[name]
    body = csv_table(_entries(view), {"den": view.trap(DEN)}, context(name))
    rows = list(csv.DictReader(io.StringIO(asyncio.run(_collect(body)).decode())))
    assert len(rows) == (9 if name == "exact" else 7)  # coarse: no red panda, nothing pending
    text = json.dumps(rows)
    if name == "coarse":
        assert [s for s in SECRETS if s in text] == [] and rows[0]["location_precision"] == "cell:0.1deg"
    else:
        assert rows[0]["latitude"] == "27.712340" and "ranger-anna" in text
    assert rows[0]["captured_at"].endswith("+05:45")
