"""Bodies are bounded per route before they are read, and before auth: only the upload
route takes large bodies. Walks every route the gateway serves, anonymously, with a body
declared too large up front and with one streamed in chunks without a length."""

import asyncio

import httpx
import pytest

from ailurus_common.http import PREREAD_MAX_BYTES
from gateway.main import API_PREFIX, create_app
from tests.integration.gateway.test_auth_routes import PATH_VALUES, api_routes, make_settings

# The upload limit is above PREREAD_MAX_BYTES: that route's body is counted while it streams.
JSON_LIMIT, AUTH_LIMIT, UPLOAD_LIMIT, CHUNK_LIMIT = 4096, 1024, 2 * PREREAD_MAX_BYTES, 64 * 1024
UPLOAD = ("POST", f"{API_PREFIX}/traps/{{trap_id}}/images")
CHUNK = ("PUT", f"{API_PREFIX}/traps/{{trap_id}}/uploads/sessions/{{session_id}}")  # one resumable-upload chunk
LOGIN = ("POST", f"{API_PREFIX}/auth/login")


@pytest.fixture(scope="module")
async def app(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("gateway-limits"), max_json_body_bytes=JSON_LIMIT,
                             max_auth_body_bytes=AUTH_LIMIT, max_body_bytes=UPLOAD_LIMIT, max_file_bytes=UPLOAD_LIMIT,
                             max_chunk_bytes=CHUNK_LIMIT, upload_chunk_bytes=CHUNK_LIMIT)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def limit_of(method: str, template: str) -> int:
    return {UPLOAD: UPLOAD_LIMIT, LOGIN: AUTH_LIMIT, CHUNK: CHUNK_LIMIT}.get((method, template), JSON_LIMIT)


def concrete(template: str) -> str:
    return template.format(**PATH_VALUES)


async def streamed(app, method: str, path: str, total_bytes: int, chunk_bytes: int) -> tuple[int, bytes, int]:
    """Send ``total_bytes`` in chunks with no Content-Length; the status, body and how many
    bytes the app pulled before it answered."""
    pulled = 0
    answer: dict = {"status": 0, "body": b""}

    async def receive() -> dict:
        nonlocal pulled
        if pulled >= total_bytes:
            await asyncio.Event().wait()
        pulled += chunk_bytes
        return {"type": "http.request", "body": b"x" * chunk_bytes, "more_body": pulled < total_bytes}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    headers = [(b"host", b"testserver"), (b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 50000), "server": ("testserver", 80), "state": {}}
    await asyncio.wait_for(app(scope, receive, send), timeout=30)
    return answer["status"], answer["body"], pulled


def body_routes(app) -> list[tuple[str, str]]:
    return [(m, p) for m, p in api_routes(app) if m in {"POST", "PATCH", "PUT", "DELETE"}]


async def test_every_body_route_refuses_a_declared_oversize_body_unread(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        for method, template in body_routes(app):
            too_big = limit_of(method, template) + 1
            response = await client.request(method, concrete(template), content=b"x" * too_big,
                                            headers={"content-type": "application/json"})
            assert response.status_code == 413, (method, template)
            assert response.json()["error"]["code"] == "too_large"


async def test_every_body_route_stops_reading_a_streamed_body_at_its_limit(app):
    for method, template in body_routes(app):
        limit = limit_of(method, template)
        chunk_bytes = max(1024, limit // 64)
        status, body, pulled = await streamed(app, method, concrete(template), limit * 8, chunk_bytes)
        assert status in {401, 413}, (method, template, status, body)
        assert pulled <= limit + chunk_bytes, (method, template, pulled)


async def test_json_routes_take_far_less_than_the_upload_route(app):
    middleware = next(m for m in app.user_middleware if m.cls.__name__ == "BodySizeLimitMiddleware")
    assert middleware.kwargs["max_body_bytes"] == JSON_LIMIT
    # Within its limit, a JSON body reaches auth (401 anonymous), not the limit.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        response = await client.post(f"{API_PREFIX}/traps", content=b"{}" + b" " * (JSON_LIMIT - 2),
                                     headers={"content-type": "application/json"})
        assert response.status_code == 401


async def test_hsts_header_is_sent_only_when_configured(tmp_path):
    for max_age_s, expected in ((0, None), (31536000, "max-age=31536000; includeSubDomains")):
        app = create_app(make_settings(tmp_path / str(max_age_s), hsts_max_age_s=max_age_s))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            response = await client.get("/healthz")
        assert response.headers.get("strict-transport-security") == expected


async def test_metrics_leave_the_api_port_when_they_have_their_own(tmp_path):
    for metrics_port, expected in ((None, 200), (9999, 404)):
        app = create_app(make_settings(tmp_path / str(metrics_port), metrics_port=metrics_port))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            assert (await client.get("/metrics")).status_code == expected
