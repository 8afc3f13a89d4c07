"""The model lifecycle API through the whole stack (gateway -> ML admin service -> registry,
blob store): reads and refusals. Nothing is promoted here: the package shares one Triton
(promote and rollback through the API under load: tests/e2e/test_closed_loop.py's stack)."""

import pytest


def test_get_serving_and_models_as_admin_names_the_base_model(api) -> None:
    serving = api.get("/api/v1/serving")
    assert serving.status_code == 200, serving.text
    assert serving.json()["live"]["name"] == "ailurus_classifier"
    models = api.get("/api/v1/models")
    assert models.status_code == 200 and models.json()["serving"]["live"] == serving.json()["live"]
    assert api.get("/api/v1/datasets").status_code == 200


def test_rollback_with_nothing_replaced_is_409_serving_conflict(api) -> None:
    refused = api.post("/api/v1/models/rollback")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "serving_conflict")


def test_promote_unknown_version_is_404_model_not_found(api) -> None:
    refused = api.post("/api/v1/models/ailurus_nothing/versions/1/promote", json={"force": True})
    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "model_not_found")


@pytest.mark.parametrize(("role", "app_only"), [("viewer", False), ("uploader", False), ("uploader", True)],
                         ids=["viewer", "uploader", "partner"])
def test_lifecycle_routes_refuse_non_admins(client_for, role: str, app_only: bool) -> None:
    client = client_for(role, app_only=app_only)
    assert client.get("/api/v1/models").status_code == 403
    assert client.post("/api/v1/models/rollback").status_code == 403
