"""Location privacy seen from outside (a viewer cannot recover a red-panda trap's position
from any API), live upload progress, and analytics, on the whole stack."""

import json
import threading
import uuid

import httpx
import pytest

from tests.support.auth import auth_headers
from tests.support.samples import sample
from tests.support.uploads import jpeg_variants, upload

pytestmark = pytest.mark.slow
SECRET = {"id": "secret-den", "name": "Den above the bamboo", "latitude": 27.71234, "longitude": 88.15678,
          "elevation_m": 3312, "notes": "behind the fallen fir", "timezone": "Asia/Kathmandu"}


def leaks(text: str) -> list[str]:
    """Any rendering of the exact position (or its elevation/notes) found in a response."""
    needles = ["27.712", "88.156", "88.157", "3312", "fallen fir"]
    return [n for n in needles if n in text]


@pytest.fixture(scope="module")
def den(api) -> list[dict]:
    assert api.post("/api/v1/traps", json=SECRET).status_code == 201
    files = [("files", (n, d, "image/jpeg")) for n, d in jpeg_variants(sample("animals/skeydan_red_panda.jpg"), 4)]
    results = upload(api, SECRET["id"], files)
    assert {r["prediction"]["group"] for r in results} == {"red_panda"}
    return results


@pytest.fixture(scope="module")
def viewer(azure_stack):
    with httpx.Client(base_url=azure_stack.gateway_url, timeout=60,
                      headers=auth_headers(azure_stack, "viewer")) as client:
        yield client


def test_viewer_cannot_recover_red_panda_trap_position(viewer, den):
    media_id = den[0]["media_id"]
    responses = {
        "traps": viewer.get("/api/v1/traps"),
        "trap": viewer.get(f"/api/v1/traps/{SECRET['id']}"),
        "map": viewer.get("/api/v1/map/traps"),
        "map red panda": viewer.get("/api/v1/map/traps", params={"group": "red_panda"}),
        "heatmap": viewer.get("/api/v1/map/heatmap", params={"group": "red_panda"}),
        "media": viewer.get("/api/v1/media", params={"trap_id": SECRET["id"]}),
        "analytics": viewer.get("/api/v1/analytics"),
    }
    for name, response in responses.items():
        assert response.status_code == 200, name
        assert leaks(response.text) == [], name
    # A sighting's own record is not a viewer's: answered like a missing one.
    assert viewer.get(f"/api/v1/media/{media_id}").status_code == 404
    trap = responses["trap"].json()
    assert trap["location_precision"].startswith("cell:")
    assert abs(trap["latitude"] - SECRET["latitude"]) < 0.1 and trap["latitude"] != SECRET["latitude"]
    assert viewer.get(f"/api/v1/media/{media_id}/original").status_code == 403


def test_viewer_tiny_bbox_probes_cannot_locate_trap_inside_its_cell(viewer, den):
    def points(bbox: str) -> list:
        return viewer.get("/api/v1/map/heatmap", params={"group": "red_panda", "bbox": bbox}).json()["points"]
    lon, lat = SECRET["longitude"], SECRET["latitude"]
    exact = f"{lon - 1e-4},{lat - 1e-4},{lon + 1e-4},{lat + 1e-4}"
    elsewhere_in_cell = "88.1901,27.7801,88.1902,27.7802"
    assert points(exact) == points(elsewhere_in_cell) != []


def test_reviewer_sees_exact_position(azure_stack, den):
    with httpx.Client(base_url=azure_stack.gateway_url, headers=auth_headers(azure_stack, "reviewer")) as reviewer:
        trap = reviewer.get(f"/api/v1/traps/{SECRET['id']}").json()
        heat = reviewer.get("/api/v1/map/heatmap", params={"group": "red_panda"}).json()
    assert (trap["latitude"], trap["longitude"]) == (SECRET["latitude"], SECRET["longitude"])
    assert [SECRET["latitude"], SECRET["longitude"], 4] in heat["points"]


def test_upload_progress_streams_every_file_to_final_state(api, azure_stack, den):
    upload_id = uuid.uuid4().hex
    events: list[dict] = []

    def listen() -> None:
        with httpx.Client(base_url=azure_stack.gateway_url, timeout=60, headers=auth_headers(azure_stack)) as client, \
                client.stream("GET", f"/api/v1/uploads/{upload_id}/events") as stream:
            for line in stream.iter_lines():
                if line.startswith("data: ") and line != "data: {}":
                    events.append(json.loads(line[6:]))
                if line.startswith("event: done"):
                    return

    listener = threading.Thread(target=listen)
    listener.start()
    # A variant: the plain sample is uploaded by another test, and would be a duplicate here.
    name, data = jpeg_variants(sample("exif/orient_Landscape_1.jpg"), 1)[0]
    files = [("files", (name, data, "image/jpeg")), ("files", ("empty.jpg", b"", "image/jpeg"))]
    response = api.post(f"/api/v1/traps/{SECRET['id']}/images", params={"upload_id": upload_id}, files=files)
    listener.join(timeout=30)
    assert response.status_code == 200 and not listener.is_alive()
    final = {e["index"]: e["status"] for e in events if e["status"] not in ("received", "stored")}
    assert final == {0: "classified", 1: "rejected"}
    assert [e["status"] for e in events if e["index"] == 0][:2] == ["received", "stored"]


def test_upload_progress_of_another_user_is_not_found(azure_stack):
    with httpx.Client(base_url=azure_stack.gateway_url, timeout=10,
                      headers=auth_headers(azure_stack, "uploader")) as other:
        upload_id = uuid.uuid4().hex
        with httpx.Client(base_url=azure_stack.gateway_url, timeout=10, headers=auth_headers(azure_stack)) as owner:
            owner.post(f"/api/v1/traps/{SECRET['id']}/images", params={"upload_id": upload_id},
                       files=[("files", ("empty.jpg", b"", "image/jpeg"))])
        assert other.get(f"/api/v1/uploads/{upload_id}/events").status_code == 404


def test_review_changes_analytics_share(api, den):
    before = {r["model"]: r for r in api.get("/api/v1/analytics").json()["review_share"]}
    key = "ailurus_classifier:1"
    review = api.post(f"/api/v1/media/{den[1]['media_id']}/review", json={"group": "mammal", "label": "marten"})
    assert review.status_code == 201
    media = review.json()
    assert [o["method"] for o in media["observations"]] == ["machine", "human"]  # the machine label stays
    after = {r["model"]: r for r in api.get("/api/v1/analytics").json()["review_share"]}
    assert after[key]["corrected"] == before.get(key, {"corrected": 0})["corrected"] + 1
    analytics = api.get("/api/v1/analytics", params={"trap_id": SECRET["id"]}).json()
    classified = sum(api.get(f"/api/v1/traps/{SECRET['id']}").json()["counts"].values())
    assert len(analytics["by_hour"]) == 24
    assert sum(b["count"] for b in analytics["confidence_histogram"]) == classified
    assert sum(sum(day["counts"].values()) for day in analytics["per_day"]) == classified
