"""Exports on the whole stack (Azurite + Cosmos stand-in): every Camtrap DP package
validates with frictionless against the official 1.0.2 profile and table schemas, every
MegaDetector file with the MegaDetector project's own validator; a coarse caller (viewer,
partner app token) gets cell positions, no sensitive sighting, nobody named, no elevation,
notes or GPS, no file of people; an export of thousands of media streams with the
gateway's and ingest's memory bounded."""

import csv
import io
import json
import os
import threading
import time
import zipfile
from datetime import UTC, datetime, timedelta

import httpx
import psutil
import pytest

from tests.support.bulk import bulk_items
from tests.support.camtrap_dp import package_errors
from tests.support.megadetector import validate_batch_file
from tests.support.report import markdown_table
from tests.support.samples import sample
from tests.support.uploads import jpeg_variants, upload

pytestmark = pytest.mark.slow
DEN = {"id": "export-den", "name": "Export den", "latitude": 27.61234, "longitude": 88.41234, "elevation_m": 3412,
       "notes": "under the rock overhang", "timezone": "Asia/Kathmandu"}
SECRETS = ["27.612", "88.412", "3412", "rock overhang", "stack-admin", "stack-reviewer", "stack-uploader"]
COARSE = [("viewer", False), ("viewer", True), ("reviewer", True)]
COARSE_IDS = ["viewer", "viewer-app", "reviewer-app"]
BULK_TRAP = {"id": "export-bulk", "name": "Export bulk", "latitude": 27.31, "longitude": 88.31,
             "timezone": "Asia/Kathmandu"}
# A few thousand by default; EXPORT_BULK_MEDIA=10000 measures a bigger one (same assertions).
BULK_MEDIA = int(os.environ.get("EXPORT_BULK_MEDIA", "3000"))
FORMATS = ("camtrap-dp", "megadetector", "csv")


@pytest.fixture(scope="module")
def den(api) -> dict:
    """A trap with two red-panda sightings, two mammals and one image a reviewer says shows a person."""
    assert api.post("/api/v1/traps", json=DEN).status_code == 201
    pandas = jpeg_variants(sample("animals/skeydan_red_panda.jpg"), 2, tag="export")
    others = jpeg_variants(sample("cameratrap/serengeti_burst_S1_D04_R6_PICT0020.JPG"), 3, tag="export")
    results = upload(api, DEN["id"], [("files", (n, d, "image/jpeg")) for n, d in pandas + others])
    assert [r["prediction"]["group"] for r in results[:2]] == ["red_panda", "red_panda"]
    person = results[4]["media_id"]
    assert api.post(f"/api/v1/media/{person}/review", json={"group": "human"}).status_code == 201
    return {"pandas": [r["media_id"] for r in results[:2]], "others": [r["media_id"] for r in results[2:4]],
            "person": person}


def _get(client, kind: str, **params):
    response = client.get(f"/api/v1/exports/{kind}", params=params, timeout=600)
    assert response.status_code == 200, response.text[:500]
    return response


def _camtrap(client, tmp_path, **params) -> zipfile.ZipFile:
    response = _get(client, "camtrap-dp", **params)
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    archive.extractall(tmp_path / "package")
    assert package_errors(tmp_path / "package", tmp_path) == []
    return archive


def _md(client, tmp_path, **params) -> dict:
    path = tmp_path / "md.json"
    path.write_bytes(_get(client, "megadetector", **params).content)
    assert validate_batch_file(path)["errors"] == []
    return json.loads(path.read_text())


def _table(archive: zipfile.ZipFile, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode())))


@pytest.mark.parametrize(("role", "app_only"), COARSE, ids=COARSE_IDS)
def test_coarse_exports_carry_cells_and_nothing_exact_sensitive_or_personal(client_for, den, role, app_only,
                                                                           tmp_path):
    client = client_for(role, app_only=app_only)
    archive = _camtrap(client, tmp_path, trap_id=DEN["id"], include_media="true")
    files = [n for n in archive.namelist() if n.startswith("media/")]
    everything = "\n".join(archive.read(n).decode(errors="replace") for n in archive.namelist() if n not in files)
    texts = {"camtrap-dp": everything,
             "megadetector": json.dumps(_md(client, tmp_path, trap_id=DEN["id"])),
             "csv": _get(client, "csv", trap_id=DEN["id"]).text}
    for kind, text in texts.items():
        assert [s for s in SECRETS if s in text] == [], kind
        assert [m for m in den["pandas"] if m in text] == [] and "red_panda" not in text, kind
        assert den["person"] in text and all(m in text for m in den["others"]), kind
    package = json.loads(archive.read("datapackage.json"))
    assert package["coordinatePrecision"] == 0.1 and "Ailurus fulgens" not in everything
    deployment = _table(archive, "deployments.csv")[0]
    assert (deployment["latitude"], deployment["longitude"]) == ("27.650000", "88.450000")
    media = {m["mediaID"]: m for m in _table(archive, "media.csv")}
    assert media[den["person"]]["filePublic"] == "false"
    assert not [n for n in files if den["person"] in n]  # no file of people
    assert sorted(n.split("/")[-1][:64] for n in files) == sorted(den["others"])  # thumbnails of the others
    assert all(zipfile.ZipFile.open(archive, n).read(2) == b"\xff\xd8" for n in files)
    human = {o["classifiedBy"] for o in _table(archive, "observations.csv") if o["classificationMethod"] == "human"}
    assert human == {"reviewer"}


def test_admin_exports_carry_exact_positions_sightings_and_names(api, den, tmp_path):
    archive = _camtrap(api, tmp_path, trap_id=DEN["id"], include_media="true")
    deployment = _table(archive, "deployments.csv")[0]
    assert (deployment["latitude"], deployment["longitude"]) == ("27.612340", "88.412340")
    assert deployment["deploymentComments"] == DEN["notes"]
    package = json.loads(archive.read("datapackage.json"))
    assert "coordinatePrecision" not in package
    assert {"scientificName": "Ailurus fulgens", "taxonRank": "species"} in package["taxonomic"]
    observations = {o["mediaID"]: o for o in _table(archive, "observations.csv")}
    assert observations[den["person"]]["classifiedBy"] == "stack-admin"
    assert observations[den["pandas"][0]]["scientificName"] == "Ailurus fulgens"
    assert observations[den["pandas"][0]]["eventStart"].endswith("+05:45")
    files = {n.split("/")[-1][:64]: n for n in archive.namelist() if n.startswith("media/")}
    assert set(files) == {*den["pandas"], *den["others"]}  # originals, never the person
    results = _md(api, tmp_path, trap_id=DEN["id"])
    assert len(results["images"]) == 5
    rows = list(csv.DictReader(io.StringIO(_get(api, "csv", trap_id=DEN["id"]).text)))
    assert {r["media_id"] for r in rows} == {*den["pandas"], *den["others"], den["person"]}
    assert {r["label_source"] for r in rows} == {"machine", "human"} and rows[0]["latitude"] == "27.612340"


def test_export_filters_by_group_reviewed_and_time(api, den, tmp_path):
    reviewed = list(csv.DictReader(io.StringIO(_get(api, "csv", trap_id=DEN["id"], reviewed_only="true").text)))
    assert [r["media_id"] for r in reviewed] == [den["person"]]
    pandas = _md(api, tmp_path, trap_id=DEN["id"], group=["red_panda", "human"])
    assert len(pandas["images"]) == 3
    future = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    empty = _camtrap(api, tmp_path / "empty", trap_id=DEN["id"], **{"from": future})
    assert _table(empty, "media.csv") == []
    assert api.get("/api/v1/exports/csv", params={"trap_id": "no-such-trap"}).json()["error"]["code"] == \
        "trap_not_found"


@pytest.mark.parametrize(("role", "app_only"), [*COARSE, ("admin", False)], ids=[*COARSE_IDS, "admin"])
def test_people_thumbnails_are_withheld_from_coarse_callers(client_for, den, role, app_only):
    client = client_for(role, app_only=app_only)
    thumbnail = client.get(f"/api/v1/media/{den['person']}/thumbnail")
    record = client.get(f"/api/v1/media/{den['person']}").json()
    if role == "admin":
        assert thumbnail.status_code == 200 and record["has_thumbnail"] is True
    else:
        assert thumbnail.status_code == 403 and thumbnail.json()["error"]["code"] == "personal_data"
        assert record["has_thumbnail"] is False
        assert client.get(f"/api/v1/media/{den['person']}/original").status_code == 403
        assert client.get(f"/api/v1/media/{den['others'][0]}/thumbnail").status_code == 200


# streaming -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bulk(api, azure_stack) -> int:
    """BULK_MEDIA media recorded straight through ingest's batch write (no images needed)."""
    assert api.post("/api/v1/traps", json=BULK_TRAP).status_code == 201
    headers = {"Authorization": f"Bearer {azure_stack.service_token()}"}
    with httpx.Client(base_url=azure_stack.ingest_url, headers=headers, timeout=300) as ingest:
        for start in range(0, BULK_MEDIA, 1000):
            items = bulk_items(start, min(1000, BULK_MEDIA - start))
            answer = ingest.post(f"/v1/traps/{BULK_TRAP['id']}/media", json={"items": items})
            assert answer.status_code == 200, answer.text[:300]
    return BULK_MEDIA


class PeakRss:
    """The peak resident memory of some processes, sampled every 20 ms while in use."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.before = {name: p.memory_info().rss for name, p in self.processes.items()}
        self.peak = dict(self.before)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            for name, process in self.processes.items():
                self.peak[name] = max(self.peak[name], process.memory_info().rss)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def growth_mib(self) -> dict[str, float]:
        return {name: (self.peak[name] - self.before[name]) / 2**20 for name in self.processes}


@pytest.fixture(scope="module")
def export_report():
    """Rows of test-artifacts/exports.md: size, time and peak memory of each large export."""
    header = ["export", "caller", "media", "bytes", "seconds", "s per 1,000 media",
              "gateway peak RSS MiB (growth)", "ingest peak RSS MiB (growth)"]
    with markdown_table("exports.md", header) as rows:
        yield rows


# Growth of a process's resident memory allowed while it streams an export. Held at once,
# 3,000 media records alone are 14.5 MiB of Python objects plus 3.9 MiB of their JSON
# (tracemalloc); streamed, the growth measured at most 5.7 MiB for 3,000 and for 10,000.
MAX_GROWTH_MIB = 12


@pytest.mark.parametrize("kind", FORMATS)
@pytest.mark.parametrize(("role", "app_only"), [("admin", False), ("viewer", True)], ids=["admin", "partner"])
def test_large_export_streams_with_bounded_memory(client_for, azure_stack, bulk, export_report, kind, role, app_only,
                                                 tmp_path):
    client = client_for(role, app_only=app_only)
    pids = {name: azure_stack.services[name].process.pid for name in ("gateway", "ingest")}
    size_bytes = 0
    path = tmp_path / f"export.{kind}"
    started = time.perf_counter()
    with PeakRss(pids) as rss, path.open("wb") as out, \
            client.stream("GET", f"/api/v1/exports/{kind}", params={"trap_id": BULK_TRAP["id"]}, timeout=600) as answer:
        assert answer.status_code == 200
        for chunk in answer.iter_bytes():
            out.write(chunk)
            size_bytes += len(chunk)
    elapsed_s = time.perf_counter() - started
    # Every fifth is a red panda: none of those for the partner.
    expected = bulk if role == "admin" else bulk - bulk // 5
    if kind == "camtrap-dp":
        archive = zipfile.ZipFile(path)
        archive.extractall(tmp_path / "package")
        assert package_errors(tmp_path / "package", tmp_path) == []
        assert len(_table(archive, "media.csv")) == len(_table(archive, "observations.csv")) == expected
    elif kind == "megadetector":
        assert validate_batch_file(path)["errors"] == []
        assert len(json.loads(path.read_text())["images"]) == expected
    else:
        assert len(list(csv.DictReader(path.open()))) == expected
    growth = rss.growth_mib()
    peak = {name: f"{rss.peak[name] / 2**20:.0f} (+{growth[name]:.1f})" for name in growth}
    export_report.append(f"| {kind} | {role}{'-app' if app_only else ''} | {expected} | {size_bytes} | "
                         f"{elapsed_s:.2f} | {elapsed_s / expected * 1000:.2f} | {peak['gateway']} | {peak['ingest']} |")
    assert all(g < MAX_GROWTH_MIB for g in growth.values()), growth
