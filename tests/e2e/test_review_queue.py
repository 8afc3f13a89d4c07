"""The review queue on the whole stack (Cosmos DB stand-in, Azurite, Triton): a possible red
panda first, whole bursts, a cursor that shows each burst once, a bulk confirm and its undo,
and who may not use it (viewers, uploaders, partners' reviewer tokens)."""

import httpx
import pytest

from tests.support.auth import auth_headers
from tests.support.samples import sample
from tests.support.uploads import jpeg_variants, upload

pytestmark = pytest.mark.slow
ORDER = ["sensitive", "low_confidence", "rest"]
WOLVES = {"id": "queue-wolves", "name": "Queue wolves", "latitude": 27.4, "longitude": 88.3, "timezone": "UTC"}
PANDA = {"id": "queue-panda", "name": "Queue panda", "latitude": 27.5, "longitude": 88.4, "timezone": "UTC"}


@pytest.fixture(scope="module")
def queued(api) -> dict[str, list[str]]:
    ids = {}
    for trap, path, n in ((WOLVES, "cameratrap/IMAG0104_wolf.JPG", 3), (PANDA, "animals/skeydan_red_panda.jpg", 1)):
        assert api.post("/api/v1/traps", json=trap).status_code == 201
        files = [("files", (name, data, "image/jpeg")) for name, data in jpeg_variants(sample(path), n)]
        ids[trap["id"]] = [r["media_id"] for r in upload(api, trap["id"], files)]
    return ids


@pytest.fixture(scope="module")
def reviewer(client_for) -> httpx.Client:
    return client_for("reviewer")


def all_bursts(client: httpx.Client, **query) -> list[dict]:
    bursts, cursor = [], None
    while True:
        page = client.get("/api/v1/review-queue", params={**query, "limit": 1, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        bursts += page.json()["items"]
        if (cursor := page.json()["next_cursor"]) is None:
            return bursts


def test_review_queue_puts_red_panda_first_and_pages_each_burst_once(reviewer, queued):
    bursts = all_bursts(reviewer)
    priorities = [b["priority"] for b in bursts]
    assert priorities == sorted(priorities, key=ORDER.index) and priorities[0] == "sensitive"
    keys = [(b["deployment_id"], b["sequence_id"]) for b in bursts]
    assert len(keys) == len(set(keys))  # each burst once
    where = {m["id"]: i for i, b in enumerate(bursts) for m in b["media"]}
    assert where[queued[PANDA["id"]][0]] < where[queued[WOLVES["id"]][0]]
    wolves = [b for b in bursts if b["deployment_id"] == WOLVES["id"]]
    assert [len(b["media"]) for b in wolves] == [3]  # one upload without EXIF times: one burst
    assert all(b["media"][0]["location_precision"] == "exact" for b in bursts)


def test_review_queue_bulk_confirm_then_undo_restores_the_queue(reviewer, queued):
    before = reviewer.get("/api/v1/review-queue", params={"trap_id": WOLVES["id"]}).json()
    assert before["counts"]["total"] == 3
    items = [{"media_id": m} for m in queued[WOLVES["id"]]]
    decided = reviewer.post("/api/v1/review-queue/decisions", json={"items": items})
    assert decided.status_code == 200, decided.text
    results = decided.json()["items"]
    assert {r["status"] for r in results} == {"recorded"}
    assert {r["media"]["review_state"] for r in results} == {"confirmed"}
    assert all(r["media"]["observations"][-1]["classified_by"] == "stack-reviewer" for r in results)
    after = reviewer.get("/api/v1/review-queue", params={"trap_id": WOLVES["id"]}).json()
    assert (after["items"], after["counts"]["total"]) == ([], 0)
    undo = reviewer.post("/api/v1/review-queue/undo", json={"items": [
        {"media_id": r["media_id"], "observation_id": r["observation_id"]} for r in results]})
    assert {u["status"] for u in undo.json()["items"]} == {"undone"}
    again = reviewer.get("/api/v1/review-queue", params={"trap_id": WOLVES["id"]}).json()
    assert again["counts"] == before["counts"] and len(again["items"][0]["media"]) == 3


@pytest.mark.parametrize(("role", "app_only", "code"), [("viewer", False, "forbidden"),
                                                         ("uploader", False, "forbidden"),
                                                         ("reviewer", True, "review_restricted")])
def test_review_queue_refuses_coarse_callers(azure_stack, queued, role, app_only, code):
    with httpx.Client(base_url=azure_stack.gateway_url, timeout=60,
                      headers=auth_headers(azure_stack, role, app_only=app_only)) as client:
        listing = client.get("/api/v1/review-queue")
        decision = client.post("/api/v1/review-queue/decisions",
                               json={"items": [{"media_id": queued[PANDA["id"]][0]}]})
    for response in (listing, decision):
        assert (response.status_code, response.json()["error"]["code"]) == (403, code)
