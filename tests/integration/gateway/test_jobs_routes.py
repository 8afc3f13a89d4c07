"""/api/v1/jobs at the edge, in process: who may submit, and the sources refused before
anything reaches ingest (ingest is not running here: a refusal must come first)."""

import httpx
import pytest

from ailurus_common.auth import Role
from gateway.auth import local_issuer
from gateway.main import create_app
from tests.integration.gateway.test_auth_routes import bearer, make_settings


@pytest.fixture
async def setup(tmp_path):
    settings = make_settings(tmp_path, job_containers=["imports"])
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport,
                                                                   base_url="http://testserver") as http:
        yield http, local_issuer(settings)


async def test_a_viewer_may_not_submit_a_job(setup):
    http, issuer = setup
    response = await http.post("/api/v1/jobs", headers=bearer(issuer.issue("v", [Role.VIEWER])),
                               json={"source": {"container": "imports", "prefix": ""}, "trap_id": "trap-1"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(("body", "code"), [
    ({"source": {"container": "originals", "prefix": ""}, "trap_id": "trap-1"}, "job_source_not_allowed"),
    ({"source": {"dataset": "stations-0123456789ab"}}, "invalid_request"),  # no trap to put its images in
    ({"source": {"dataset": "../snapshots/x"}, "trap_id": "trap-1"}, "invalid_request"),
    ({"source": {"reclassify": {"model": "ailurus_classifier"}}}, "invalid_request"),  # no version
    ({"source": {"reclassify": {"model": "ailurus_classifier:v2"}}}, "invalid_request"),
    ({"source": {"reclassify": {"model": "ailurus_classifier:2", "trap_id": "trap-1"}}, "trap_id": "trap-2"},
     "invalid_request"),
    ({"source": {"reclassify": {"model": "ailurus_classifier:2", "since": "2024"}}}, "invalid_request"),
    ({"source": {"container": "imports", "prefix": ""}}, "invalid_request"),
    ({"source": {"container": "Bad_Name"}, "trap_id": "trap-1"}, "invalid_request"),
])
async def test_a_refused_source_is_422_with_its_code(setup, body, code):
    http, issuer = setup
    token = issuer.issue("partner-app", [Role.UPLOADER], app_only=True)
    response = await http.post("/api/v1/jobs", headers=bearer(token), json=body)
    assert response.status_code == 422 and response.json()["error"]["code"] == code
