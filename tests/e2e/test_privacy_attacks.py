"""A patient coarse caller (viewer, uploader, any partner app token) against the whole
stack: sensitive sightings reach them only on the heatmap, per grid cell and month and at
the minimum count. Each class of attack that once worked is tried here: filtering media by
the group, paging around hidden records, asking for a record or thumbnail by id,
subtracting counts, differencing heatmap time windows, boxes meeting at a cell line."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.bulk import bulk_items
from tests.support.samples import sample
from tests.support.uploads import jpeg_variants, upload

pytestmark = pytest.mark.slow
# Two sightings (under the minimum of 3) at a trap with other animals; its cell has no other trap.
SPARSE = {"id": "sparse-den", "name": "Sparse den", "latitude": 26.94321, "longitude": 87.94321,
          "timezone": "Asia/Kathmandu"}
COARSE = [("viewer", False), ("uploader", False), ("viewer", True), ("reviewer", True), ("admin", True)]
IDS = [f"{role}{'-app' if app else ''}" for role, app in COARSE]


@pytest.fixture(scope="module")
def sparse(api) -> dict:
    assert api.post("/api/v1/traps", json=SPARSE).status_code == 201
    pandas = jpeg_variants(sample("animals/skeydan_red_panda.jpg"), 2, tag="sparse")
    others = jpeg_variants(sample("cameratrap/serengeti_burst_S1_D04_R6_PICT0020.JPG"), 3, tag="sparse")
    results = upload(api, SPARSE["id"], [("files", (n, d, "image/jpeg")) for n, d in pandas + others])
    groups = [r["prediction"]["group"] for r in results]
    assert groups[:2] == ["red_panda", "red_panda"] and "red_panda" not in groups[2:]
    return {"pandas": [r["media_id"] for r in results[:2]], "others": [r["media_id"] for r in results[2:]]}


def every_page(client, **params) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        body = client.get("/api/v1/media", params={**params, **({"cursor": cursor} if cursor else {})}).json()
        pages.append(body["items"])
        if not (cursor := body["next_cursor"]):
            return pages


@pytest.mark.parametrize(("role", "app_only"), COARSE, ids=IDS)
def test_coarse_caller_finds_no_sighting_record_by_filter_page_or_id(client_for, sparse, role, app_only):
    client = client_for(role, app_only=app_only)
    assert client.get("/api/v1/media", params={"group": "red_panda"}).json()["items"] == []
    assert client.get("/api/v1/media", params={"label": "lesser panda"}).json()["items"] == []
    pages = every_page(client, trap_id=SPARSE["id"], limit=1)
    seen = [m["id"] for page in pages for m in page]
    assert sorted(seen) == sorted(sparse["others"]) and all(len(page) == 1 for page in pages)
    missing = client.get(f"/api/v1/media/{'0' * 64}")
    for media_id in sparse["pandas"]:
        for path in (f"/api/v1/media/{media_id}", f"/api/v1/media/{media_id}/thumbnail"):
            hidden = client.get(path)
            assert hidden.status_code == 404 and hidden.json()["error"]["code"] == missing.json()["error"]["code"]
    assert all("red_panda" not in client.get(f"/api/v1/media/{m}").text for m in sparse["others"])


@pytest.mark.parametrize(("role", "app_only"), COARSE, ids=IDS)
def test_coarse_caller_counts_name_no_sighting(client_for, sparse, role, app_only):
    client = client_for(role, app_only=app_only)
    answers = [client.get(f"/api/v1/traps/{SPARSE['id']}"), client.get("/api/v1/map/traps"),
               client.get("/api/v1/map/traps", params={"group": "red_panda"}),
               client.get("/api/v1/analytics"), client.get("/api/v1/analytics", params={"trap_id": SPARSE["id"]})]
    for answer in answers:
        assert answer.status_code == 200 and "red_panda" not in answer.text, answer.request.url
    analytics = answers[-1].json()
    # Every series is computed without the hidden media: their sums agree with what is shown.
    shown = sum(sum(day["counts"].values()) for day in analytics["per_day"])
    assert shown == 3 == sum(analytics["by_hour"]) == sum(b["count"] for b in analytics["confidence_histogram"])


def _heat(client, **params) -> list:
    return client.get("/api/v1/map/heatmap", params={"group": "red_panda", **params}).json()["points"]


@pytest.mark.parametrize(("role", "app_only"), COARSE, ids=IDS)
def test_coarse_heatmap_windows_cannot_be_differenced_below_a_month(client_for, sparse, role, app_only):
    client = client_for(role, app_only=app_only)
    now = datetime.now(UTC)
    windows = [{}, {"from": (now - timedelta(seconds=30)).isoformat(), "to": (now + timedelta(seconds=30)).isoformat()},
               {"from": (now - timedelta(days=400)).isoformat()}, {"to": (now + timedelta(days=1)).isoformat()},
               {"min_confidence": 0.99}, {"min_confidence": 0.0}]
    answers = [_heat(client, **w) for w in windows]
    # The sparse den's cell never shows (2 < 3); every window gives the same cells.
    assert all(answer == answers[0] for answer in answers), answers
    assert not [p for p in answers[0] if abs(p[0] - 26.95) < 0.01 and abs(p[1] - 87.95) < 0.01]
    body = client.get("/api/v1/map/heatmap", params={"group": "red_panda"}).json()
    assert body["time_bin"] == "month" and body["precision"].startswith("cell:")


def test_exact_caller_sees_the_sparse_sightings(api, sparse):
    assert [26.94321, 87.94321, 2] in _heat(api)
    assert {m["id"] for m in api.get("/api/v1/media", params={"group": "red_panda", "trap_id": SPARSE["id"]})
            .json()["items"]} == set(sparse["pandas"])


def test_partner_reviewer_cannot_review_a_hidden_sighting(client_for, sparse):
    partner = client_for("reviewer", app_only=True)
    answer = partner.post(f"/api/v1/media/{sparse['pandas'][0]}/review", json={"group": "blank"})
    assert answer.status_code == 404


# A trap of its own whose media are written unlabelled (pending) straight through ingest.
UNLABELLED = {"id": "unlabelled-den", "name": "Unlabelled den", "latitude": 26.84321, "longitude": 87.84321}


@pytest.fixture(scope="module")
def unlabelled(api, azure_stack) -> list[str]:
    """Three media not classified yet: any of them may still turn out a red panda."""
    assert api.post("/api/v1/traps", json=UNLABELLED).status_code == 201
    items = bulk_items(950_000, 3)
    for item in items:
        del item["classification"]
    headers = {"Authorization": f"Bearer {azure_stack.service_token()}"}
    with httpx.Client(base_url=azure_stack.ingest_url, headers=headers, timeout=60) as ingest:
        answer = ingest.post(f"/v1/traps/{UNLABELLED['id']}/media", json={"items": items})
        assert answer.status_code == 200, answer.text[:300]
    return [i["id"] for i in items]


@pytest.mark.parametrize(("role", "app_only"), COARSE, ids=IDS)
def test_coarse_caller_gets_no_unlabelled_media_to_watch_vanish(client_for, unlabelled, role, app_only):
    """Were pending media shown, a coarse caller would see one vanish the moment it is
    classified a red panda: listing, record, thumbnail, export and feed leave them out."""
    client = client_for(role, app_only=app_only)
    for params in ({"trap_id": UNLABELLED["id"]}, {"trap_id": UNLABELLED["id"], "status": "pending"}):
        assert client.get("/api/v1/media", params=params).json()["items"] == []
    for media_id in unlabelled:
        assert client.get(f"/api/v1/media/{media_id}").status_code == 404
        assert client.get(f"/api/v1/media/{media_id}/thumbnail").status_code == 404
    rows = client.get("/api/v1/exports/csv", params={"trap_id": UNLABELLED["id"]})
    assert rows.status_code == 200 and not set(unlabelled) & set(rows.text.split(","))
    assert rows.text.count("\n") == 1  # the header only


def test_exact_caller_sees_unlabelled_media(api, unlabelled):
    items = api.get("/api/v1/media", params={"trap_id": UNLABELLED["id"]}).json()["items"]
    assert sorted(m["id"] for m in items) == sorted(unlabelled) and {m["status"] for m in items} == {"pending"}
