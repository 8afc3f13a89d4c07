"""The change feed (``GET /api/v1/changes``) on the whole stack (Azurite + Cosmos stand-in):
every change once across pages at the caller's precision; coarse callers (viewer, partner
app) never get a sensitive sighting, GPS or names, also after a review makes one sensitive."""

import time

import httpx
import pytest

from tests.support.bulk import bulk_items

TRAP = {"id": "changes-ridge", "name": "Change feed ridge", "latitude": 27.123456, "longitude": 88.654321}
FIRST = 900_000  # bulk ids of this suite (others use lower starts)
COUNT = 10  # cycles mammal, bird, blank, red_panda, human
SETTLE_S = 6.0  # the Cosmos store reads changes older than its settle window (5 s)


def feed(client: httpx.Client, since: str | None = None, *, limit: int = 3) -> tuple[list[dict], str]:
    """Every page after ``since``; the records of this suite's trap and the last cursor."""
    items = []
    while True:
        answer = client.get("/api/v1/changes", params={"limit": limit, **({"since": since} if since else {})})
        assert answer.status_code == 200, answer.text[:300]
        body = answer.json()
        items += [m for m in body["items"] if m["deployment_id"] == TRAP["id"]]
        since = body["cursor"]
        if not body["has_more"]:
            return items, since


@pytest.fixture(scope="module")
def seeded(api, azure_stack) -> list[dict]:
    assert api.post("/api/v1/traps", json=TRAP).status_code == 201
    items = bulk_items(FIRST, COUNT)
    headers = {"Authorization": f"Bearer {azure_stack.service_token()}"}
    with httpx.Client(base_url=azure_stack.ingest_url, headers=headers, timeout=60) as ingest:
        assert ingest.post(f"/v1/traps/{TRAP['id']}/media", json={"items": items}).status_code == 200
    time.sleep(SETTLE_S)
    return items


def test_changes_admin_gets_every_change_once_exact(api, seeded):
    items, _ = feed(api)
    assert sorted(m["id"] for m in items) == sorted(i["id"] for i in seeded)
    assert all(m["location_precision"] == "exact" and "uploaded_by" in m for m in items)
    assert {m["group"] for m in items} >= {"red_panda", "human"}


@pytest.mark.parametrize("app_only", [False, True], ids=["viewer", "partner-app"])
def test_changes_coarse_caller_never_gets_sensitive_media_gps_or_names(client_for, seeded, app_only):
    coarse = client_for("viewer", app_only=app_only)
    items, _ = feed(coarse)
    expected = [i["id"] for n, i in enumerate(seeded) if (FIRST + n) % 5 != 3]  # all but red_panda
    assert sorted(m["id"] for m in items) == sorted(expected)
    for media in items:
        assert media["group"] != "red_panda"
        assert media["location_precision"].startswith("cell:")
        assert "uploaded_by" not in media and "gps" not in media["exif"]
        assert all("classified_by" not in o and "top_k" not in o for o in media["observations"])


def test_changes_review_into_sensitive_group_is_never_sent_to_partner(api, client_for, seeded):
    partner = client_for("viewer", app_only=True)
    _, partner_cursor = feed(partner)
    _, admin_cursor = feed(api)
    mammal = next(i["id"] for n, i in enumerate(seeded) if (FIRST + n) % 5 == 0)
    assert api.post(f"/api/v1/media/{mammal}/review", json={"group": "red_panda"}).status_code == 201
    time.sleep(SETTLE_S)
    admin_items, _ = feed(api, admin_cursor)
    assert [m["id"] for m in admin_items] == [mammal] and admin_items[0]["group"] == "red_panda"
    partner_items, after = feed(partner, partner_cursor)
    assert partner_items == [] and after == partner_cursor  # not even the cursor moves past it


def test_changes_refuses_a_cursor_it_did_not_make(api):
    answer = api.get("/api/v1/changes", params={"since": "bm90LWEtY3Vyc29y"})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_cursor"



def deletions(client: httpx.Client, since: str, trap_id: str) -> list[dict]:
    """Every deletion of ``trap_id``'s media after ``since``."""
    gone = []
    while True:
        body = client.get("/api/v1/changes", params={"limit": 50, "since": since}).json()
        gone += [d for d in body["deleted"] if d["deployment_id"] == trap_id]
        since = body["cursor"]
        if not body["has_more"]:
            return gone


def test_changes_tell_of_media_deleted_with_their_trap_never_of_a_hidden_one(api, client_for, azure_stack):
    trap = {"id": "changes-gone", "name": "Change feed gone", "latitude": 27.2, "longitude": 88.6}
    assert api.post("/api/v1/traps", json=trap).status_code == 201
    items = bulk_items(FIRST + 100, 5)  # one of each group, the red panda among them
    headers = {"Authorization": f"Bearer {azure_stack.service_token()}"}
    with httpx.Client(base_url=azure_stack.ingest_url, headers=headers, timeout=60) as ingest:
        assert ingest.post(f"/v1/traps/{trap['id']}/media", json={"items": items}).status_code == 200
    time.sleep(SETTLE_S)
    partner = client_for("viewer", app_only=True)
    _, admin_cursor = feed(api)
    _, partner_cursor = feed(partner)
    assert api.delete(f"/api/v1/traps/{trap['id']}").status_code == 204
    time.sleep(SETTLE_S)
    assert sorted(d["id"] for d in deletions(api, admin_cursor, trap["id"])) == sorted(i["id"] for i in items)
    panda = next(i["id"] for n, i in enumerate(items) if (FIRST + 100 + n) % 5 == 3)
    told = deletions(partner, partner_cursor, trap["id"])
    assert sorted(d["id"] for d in told) == sorted(i["id"] for i in items if i["id"] != panda)
    assert all(set(d) == {"id", "deployment_id", "deleted_at"} for d in told)
