"""Trap sanity in the field, through the real stack: POST /traps/{id}/field-check answers
yes/no and whole km, from the trap's cell for uploaders and partner tokens alike (from its
position for admins), and never a position; viewers are refused. (The package's stack; the
upload page's use of it is in test_field_queue.py.)"""

import json

import httpx
import pytest

pytestmark = pytest.mark.slow

TRAP = {"id": "field-check-ridge", "name": "Field Check Ridge", "latitude": 27.71234, "longitude": 85.31234,
        "timezone": "Asia/Kathmandu", "start": "2026-03-01T00:00:00Z", "end": "2026-06-01T00:00:00Z"}
POINTS = [{"latitude": 27.71434, "longitude": 85.31234, "taken_at": "2026-04-01T10:00:00"},  # ~220 m, in period
          {"latitude": 27.80000, "longitude": 85.31234, "taken_at": "2026-07-01T10:00:00"},  # ~10 km, after the end
          {}]


@pytest.fixture(scope="module")
def trap(admin_api: httpx.Client) -> dict:
    response = admin_api.post("/api/v1/traps", json=TRAP)
    assert response.status_code == 201, response.text
    return response.json()


def call(stack, token: str, trap_id: str, body: dict) -> httpx.Response:
    return httpx.post(f"{stack.gateway_url}/api/v1/traps/{trap_id}/field-check", json=body,
                      headers={"Authorization": f"Bearer {token}"}, timeout=30)


@pytest.mark.parametrize("subject,app_only", [("field-uploader", False), ("partner-app", True)],
                         ids=["uploader", "partner"])
def test_field_check_answers_yes_no_and_km_without_positions(stack, trap, subject, app_only):
    response = call(stack, stack.token("uploader", subject=subject, app_only=app_only), trap["id"], {"points": POINTS})
    assert response.status_code == 200, response.text
    body = response.json()
    # Coarse callers: against the trap's cell (centre 27.75, 85.35), not its position.
    assert body == {"distance_m": 1000.0, "basis": "cell", "results": [
        {"far": False, "distance_km": None, "outside_active_period": False},
        {"far": True, "distance_km": 7, "outside_active_period": True},
        {"far": None, "distance_km": None, "outside_active_period": None}]}
    text = json.dumps(body)
    assert "27.71" not in text and "85.31" not in text and "latitude" not in text


def test_field_check_exact_caller_is_answered_from_the_position(stack, trap):
    body = call(stack, stack.token("admin"), trap["id"], {"points": POINTS}).json()
    assert body["basis"] == "exact" and [r["distance_km"] for r in body["results"]] == [None, 10, None]


def test_field_check_viewer_is_403_and_bad_input_is_422(stack, trap):
    assert call(stack, stack.token("viewer"), trap["id"], {"points": POINTS}).status_code == 403
    uploader = stack.token("uploader")
    too_many = call(stack, uploader, trap["id"], {"points": [{}] * 51})
    assert too_many.status_code == 422 and too_many.json()["error"]["code"]
    assert call(stack, uploader, trap["id"], {"points": [{"latitude": 95}]}).status_code == 422
    assert call(stack, uploader, "no-such-trap", {"points": POINTS}).json()["error"]["code"] == "trap_not_found"
