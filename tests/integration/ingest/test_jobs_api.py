"""ingest's /v1/jobs: create, read, list, shard reports counted once, cancel (409 once finished)."""

import uuid

import pytest
from fastapi.testclient import TestClient

from ailurus_common.auth import SERVICE_AUDIENCE, LocalIssuer
from ingest.config import IngestSettings
from ingest.main import create_app


@pytest.fixture
def client(tmp_path):
    settings = IngestSettings(sqlite_path=tmp_path / "m.sqlite3", auth_key_path=tmp_path / "key.pem", log_json=False)
    with TestClient(create_app(settings)) as http:
        token = LocalIssuer.from_key_file(tmp_path / "key.pem", audience=SERVICE_AUDIENCE).issue_service("ailurus-gateway")
        http.headers["Authorization"] = f"Bearer {token}"
        yield http


def create(client: TestClient, total: int = 3) -> dict:
    response = client.post("/v1/jobs", json={"source": {"container": "imports", "prefix": "p/"}, "trap_id": "trap-1",
                                             "total": total, "submitted_by": "ana"})
    assert response.status_code == 201
    return response.json()


def test_a_job_is_created_queued_and_listed(client):
    job = create(client)
    assert job["status"] == "queued" and (job["done"], job["failed"], job["total"]) == (0, 0, 3)
    assert client.get(f"/v1/jobs/{job['id']}").json() == job
    assert [j["id"] for j in client.get("/v1/jobs").json()["items"]] == [job["id"]]


def test_shard_reports_count_once_and_finish_the_job(client):
    job = create(client, total=3)
    url = f"/v1/jobs/{job['id']}/shards"
    assert client.post(url, json={"shard_id": "s0", "done": 2, "failed": 0}).json()["status"] == "running"
    assert client.post(url, json={"shard_id": "s0", "done": 2, "failed": 0}).json()["done"] == 2
    finished = client.post(url, json={"shard_id": "s1", "done": 0, "failed": 1}).json()
    assert (finished["status"], finished["done"], finished["failed"]) == ("done", 2, 1)
    refused = client.post(f"/v1/jobs/{job['id']}/cancel")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "job_finished"


def test_cancel_and_unknown_or_malformed_ids(client):
    job = create(client)
    assert client.post(f"/v1/jobs/{job['id']}/cancel").json()["status"] == "cancelled"
    missing = client.get(f"/v1/jobs/{uuid.uuid4().hex}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "job_not_found"
    assert client.get("/v1/jobs/not-a-job-id").status_code == 422
    bad = client.post(f"/v1/jobs/{job['id']}/shards", json={"shard_id": "s0", "done": -1, "failed": 0})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"
