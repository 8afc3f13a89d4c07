"""ingest checks a token on every /v1 route: only the gateway's service token (internal
audience, `service` role) gets through, whatever roles a user's or partner's token holds;
probes and metrics stay open."""

import pytest
from fastapi.testclient import TestClient

from ailurus_common.auth import SERVICE_AUDIENCE, LocalIssuer, Role
from ingest.config import IngestSettings
from ingest.main import create_app

ROUTES = ["/v1/traps", "/v1/media", "/v1/changes", "/v1/map/traps", "/v1/analytics", "/v1/pending/count", "/v1/jobs"]


@pytest.fixture
def public(tmp_path) -> LocalIssuer:
    """Signs tokens for the public API (what users and partners hold), with the same key."""
    return LocalIssuer.from_key_file(tmp_path / "key.pem")


@pytest.fixture
def internal(tmp_path) -> LocalIssuer:
    return LocalIssuer.from_key_file(tmp_path / "key.pem", audience=SERVICE_AUDIENCE)


@pytest.fixture
def client(tmp_path, public):
    settings = IngestSettings(sqlite_path=tmp_path / "m.sqlite3", auth_key_path=tmp_path / "key.pem", log_json=False)
    with TestClient(create_app(settings)) as http:
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("path", ROUTES)
def test_call_ingest_without_token_is_401(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_token"


def test_call_ingest_with_service_token_passes(client, internal):
    assert client.get("/v1/traps", headers=bearer(internal.issue_service("ailurus-gateway"))).json() == {"items": []}


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("app_only", [False, True], ids=["user", "partner"])
def test_call_ingest_with_public_token_is_401_whatever_its_role(client, public, path, role, app_only):
    response = client.get(path, headers=bearer(public.issue("someone", [role], app_only=app_only)))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_audience"


@pytest.mark.parametrize("app_only", [False, True], ids=["user", "app"])
def test_call_ingest_with_internal_token_without_service_role_is_403(client, internal, app_only):
    response = client.get("/v1/traps", headers=bearer(internal.issue("someone", [Role.ADMIN], app_only=app_only)))
    assert response.status_code == 403


def test_call_ingest_with_foreign_key_is_401(client, tmp_path):
    stranger = LocalIssuer.from_key_file(tmp_path / "other.pem", audience=SERVICE_AUDIENCE).issue_service("mallory")
    assert client.get("/v1/traps", headers=bearer(stranger)).status_code == 401


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_and_metrics_need_no_token(client, path):
    assert client.get(path).status_code == 200
