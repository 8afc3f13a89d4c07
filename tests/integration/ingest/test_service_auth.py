"""ingest checks a token on every /v1 route: only the gateway's service token (admin
role) gets through; probes and metrics stay open."""

import pytest
from fastapi.testclient import TestClient

from ailurus_common.auth import LocalIssuer, Role
from ingest.config import IngestSettings
from ingest.main import create_app


@pytest.fixture
def issuer(tmp_path) -> LocalIssuer:
    return LocalIssuer.from_key_file(tmp_path / "key.pem")


@pytest.fixture
def client(tmp_path, issuer):
    settings = IngestSettings(sqlite_path=tmp_path / "m.sqlite3", auth_key_path=tmp_path / "key.pem", log_json=False)
    with TestClient(create_app(settings)) as http:
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("path", ["/v1/traps", "/v1/media", "/v1/map/traps", "/v1/analytics", "/v1/pending/count"])
def test_call_ingest_without_token_is_401(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_token"


def test_call_ingest_with_service_token_passes(client, issuer):
    token = issuer.issue("ailurus-gateway", [Role.ADMIN], app_only=True)
    assert client.get("/v1/traps", headers=bearer(token)).json() == {"items": []}


def test_call_ingest_with_viewer_token_is_403(client, issuer):
    response = client.get("/v1/traps", headers=bearer(issuer.issue("someone", [Role.VIEWER])))
    assert response.status_code == 403


def test_call_ingest_with_foreign_key_is_401(client, tmp_path):
    stranger = LocalIssuer.from_key_file(tmp_path / "other.pem").issue("mallory", [Role.ADMIN])
    assert client.get("/v1/traps", headers=bearer(stranger)).status_code == 401


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_and_metrics_need_no_token(client, path):
    assert client.get(path).status_code == 200
