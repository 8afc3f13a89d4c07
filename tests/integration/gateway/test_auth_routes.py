"""Auth on the gateway's public API, in process (local auth mode, tmp key and users files).

The role matrix walks every route the app serves under ``/api/v1``: a route added without
a rule here fails ``test_every_api_route_has_an_auth_rule``. Downstream services are not
running: a request the auth check lets through may then fail (503, 422, 404), which is
fine; only 401/403 mean "refused by auth".
"""

import asyncio
import contextlib
import json
import os
import re

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from pydantic import ValidationError

from ailurus_common.auth import Role
from ailurus_tools.processes import free_port
from gateway import token_cli
from gateway.auth import local_issuer
from gateway.config import GatewaySettings
from gateway.main import API_PREFIX, create_app

PUBLIC, AUTHENTICATED = "public", "authenticated"
# (method, path template) -> who may call it.
RULES: dict[tuple[str, str], Role | str] = {
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/api/v1/docs"): PUBLIC,
    ("GET", "/api/v1/auth/config"): PUBLIC,
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): AUTHENTICATED,
    ("GET", "/api/v1/ui/config"): PUBLIC,  # the dashboard's boot config: no data
    ("GET", "/api/v1/me"): AUTHENTICATED,
    ("GET", "/api/v1/traps"): Role.VIEWER,
    ("GET", "/api/v1/traps/{trap_id}"): Role.VIEWER,
    ("POST", "/api/v1/traps"): Role.ADMIN,
    ("PATCH", "/api/v1/traps/{trap_id}"): Role.ADMIN,
    ("DELETE", "/api/v1/traps/{trap_id}"): Role.ADMIN,
    ("POST", "/api/v1/traps/{trap_id}/images"): Role.UPLOADER,
    ("GET", "/api/v1/uploads/{upload_id}/events"): Role.UPLOADER,
    # Resumable uploads: a session is its opener's only (others get 404, as for a missing one).
    ("POST", "/api/v1/traps/{trap_id}/uploads/sessions"): Role.UPLOADER,
    ("GET", "/api/v1/traps/{trap_id}/uploads/sessions/{session_id}"): Role.UPLOADER,
    ("PUT", "/api/v1/traps/{trap_id}/uploads/sessions/{session_id}"): Role.UPLOADER,
    ("DELETE", "/api/v1/traps/{trap_id}/uploads/sessions/{session_id}"): Role.UPLOADER,
    ("POST", "/api/v1/traps/{trap_id}/uploads/sessions/{session_id}/complete"): Role.UPLOADER,
    # Field check: yes/no and whole km per photo, never the trap's position (coarse callers too).
    ("POST", "/api/v1/traps/{trap_id}/field-check"): Role.UPLOADER,
    ("GET", "/api/v1/media"): Role.VIEWER,
    # Exports: every reader, each at its own precision (coarse callers: cells, no sightings).
    ("GET", "/api/v1/exports/camtrap-dp"): Role.VIEWER,
    ("GET", "/api/v1/exports/megadetector"): Role.VIEWER,
    ("GET", "/api/v1/exports/csv"): Role.VIEWER,
    ("GET", "/api/v1/media/{media_id}"): Role.VIEWER,
    ("GET", "/api/v1/media/{media_id}/original"): Role.REVIEWER,  # originals carry exact GPS
    ("GET", "/api/v1/media/{media_id}/thumbnail"): Role.VIEWER,
    ("POST", "/api/v1/media/{media_id}/review"): Role.REVIEWER,
    # The review queue: exact callers only (a partner's reviewer token gets 403 review_restricted).
    ("GET", "/api/v1/review-queue"): Role.REVIEWER,
    ("POST", "/api/v1/review-queue/decisions"): Role.REVIEWER,
    ("POST", "/api/v1/review-queue/undo"): Role.REVIEWER,
    ("GET", "/api/v1/map/traps"): Role.VIEWER,
    ("GET", "/api/v1/map/heatmap"): Role.VIEWER,
    ("GET", "/api/v1/analytics"): Role.VIEWER,
    ("POST", "/api/v1/telemetry"): Role.VIEWER,  # the signed-in dashboard's timings and errors
    # The model lifecycle: admins signed in as people (app-only tokens are refused whatever their roles).
    ("GET", "/api/v1/datasets"): Role.ADMIN,
    ("GET", "/api/v1/datasets/{dataset_id}"): Role.ADMIN,
    ("GET", "/api/v1/models"): Role.ADMIN,
    ("GET", "/api/v1/models/{name}/versions/{version}"): Role.ADMIN,
    ("POST", "/api/v1/models/{name}/versions/{version}/promote"): Role.ADMIN,
    ("POST", "/api/v1/models/rollback"): Role.ADMIN,
    ("GET", "/api/v1/serving"): Role.ADMIN,
    # The change feed: every reader, each at its own precision (coarse: no sightings, no GPS).
    ("GET", "/api/v1/changes"): Role.VIEWER,
    # Webhook subscriptions: admins only (a subscription can carry exact positions).
    ("POST", "/api/v1/subscriptions"): Role.ADMIN,
    ("GET", "/api/v1/subscriptions"): Role.ADMIN,
    ("GET", "/api/v1/subscriptions/{subscription_id}"): Role.ADMIN,
    ("DELETE", "/api/v1/subscriptions/{subscription_id}"): Role.ADMIN,
    ("GET", "/api/v1/subscriptions/{subscription_id}/deliveries"): Role.ADMIN,
    # Batch jobs: uploaders (app-only partner tokens with the role too); no positions in a job.
    ("POST", "/api/v1/jobs"): Role.UPLOADER,
    ("GET", "/api/v1/jobs"): Role.UPLOADER,
    ("GET", "/api/v1/jobs/{job_id}"): Role.UPLOADER,
    ("DELETE", "/api/v1/jobs/{job_id}"): Role.UPLOADER,
}
PATH_VALUES = {"trap_id": "trap-1", "media_id": "a" * 64, "upload_id": "b" * 32, "dataset_id": "stations-0123456789ab",
               "name": "ailurus_classifier", "version": "1", "subscription_id": "c" * 32,
               "session_id": "d" * 32, "job_id": "e" * 32}
CALLERS: list[Role | None] = [None, *Role]


def make_settings(tmp_path, **overrides) -> GatewaySettings:
    closed = f"http://127.0.0.1:{free_port()}"  # downstream not running: fails fast
    values = {"auth_key_path": tmp_path / "auth" / "key.pem", "auth_users_path": tmp_path / "auth" / "users.json",
              "auth_revoked_path": tmp_path / "auth" / "revoked-tokens.json",
              "blob_root": tmp_path / "blobs", "ingest_url": closed, "preprocess_url": closed, "ml_url": closed,
              "queue_sqlite_path": tmp_path / "queue.sqlite3",
              "log_json": False, "log_level": "WARNING"} | overrides
    return GatewaySettings(**values)


def api_routes(app) -> list[tuple[str, str]]:
    routes = set()
    for route in iter_route_contexts(app.routes):
        if route.path and route.path.startswith(API_PREFIX + "/"):
            routes |= {(method, route.path) for method in route.methods or () if method != "HEAD"}
    return sorted(routes)


def allowed(rule: Role | str, caller: Role | None) -> bool:
    if rule == PUBLIC:
        return True
    if caller is None:
        return False
    return rule == AUTHENTICATED or rule in caller.implied()


async def first_status(app, method: str, path: str, headers: dict[str, str]) -> int:
    """Status of the response's first line, straight over ASGI: works for event streams
    too, which never end on their own (the call is cancelled once the status is known)."""
    body = b"{}" if method in {"POST", "PATCH", "PUT"} else b""
    raw = [(b"host", b"testserver"), (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": raw,
             "client": ("127.0.0.1", 50000), "server": ("testserver", 80), "state": {}}
    status: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    delivered = False

    async def receive() -> dict:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client stays connected
        raise AssertionError("unreachable")

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start" and not status.done():
            status.set_result(message["status"])

    task = asyncio.create_task(app(scope, receive, send))
    try:
        return await asyncio.wait_for(asyncio.shield(status), timeout=30)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> GatewaySettings:
    return make_settings(tmp_path_factory.mktemp("gateway-auth"))


@pytest.fixture(scope="module")
async def app(settings):
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="module")
async def client(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        yield http


@pytest.fixture(scope="module")
def tokens(app, settings) -> dict[Role, str]:
    issuer = local_issuer(settings)
    return {role: issuer.issue(f"test-{role}", [role]) for role in Role}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_every_api_route_has_an_auth_rule(app):
    missing = [f"{method} {path}" for method, path in api_routes(app) if (method, path) not in RULES]
    assert not missing, f"routes without an auth rule (add `dependencies=[Depends(require(Role.X))]` and a rule): {missing}"


@pytest.mark.parametrize("caller", CALLERS, ids=lambda c: c.value if c else "anonymous")
async def test_call_every_api_route_enforces_role_matrix(app, settings, tokens, caller):
    headers = bearer(tokens[caller]) if caller else {}
    wrong = []
    for method, template in api_routes(app):
        rule = RULES.get((method, template))
        if rule is None:
            continue  # reported by test_every_api_route_has_an_auth_rule
        path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], template)
        sent = headers
        if (method, template) == ("POST", "/api/v1/auth/logout") and caller:  # revokes the token it is sent
            sent = bearer(local_issuer(settings).issue(f"test-{caller}", [caller]))
        status = await first_status(app, method, path, sent)
        expected_refusal = None if allowed(rule, caller) else (401 if caller is None else 403)
        if (expected_refusal is None and status in {401, 403}) or (expected_refusal and status != expected_refusal):
            wrong.append(f"{method} {template}: {status}, expected {expected_refusal or 'not 401/403'}")
    assert not wrong, "\n".join(wrong)


LIFECYCLE_ROUTES = [(m, p) for (m, p), rule in RULES.items()
                    if p.startswith(("/api/v1/datasets", "/api/v1/models", "/api/v1/serving"))]


@pytest.mark.parametrize(("role", "app_only"), [(Role.VIEWER, False), (Role.UPLOADER, False), (Role.REVIEWER, False),
                                                (Role.UPLOADER, True), (Role.ADMIN, True)],
                         ids=["viewer", "uploader", "reviewer", "partner", "admin-app"])
async def test_call_lifecycle_route_without_person_admin_is_403(app, settings, role, app_only):
    token = local_issuer(settings).issue(f"test-{role}", [role], app_only=app_only)
    for method, template in LIFECYCLE_ROUTES:
        path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], template)
        assert await first_status(app, method, path, bearer(token)) == 403, f"{method} {template}"


async def test_call_lifecycle_route_as_admin_with_ml_down_is_503(client, tokens):
    response = await client.get("/api/v1/models", headers=bearer(tokens[Role.ADMIN]))
    assert (response.status_code, response.json()["error"]["code"]) == (503, "upstream_unavailable")


async def test_call_lifecycle_route_with_bad_name_is_422(client, tokens):
    response = await client.post("/api/v1/models/Bad-Name/versions/1/promote", headers=bearer(tokens[Role.ADMIN]))
    assert response.status_code == 422


async def test_call_write_route_without_token_is_401_with_bearer_challenge(client):
    response = await client.post("/api/v1/traps", json={"name": "x", "latitude": 1, "longitude": 2})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_token"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_call_write_route_without_role_is_403_forbidden(client, tokens):
    response = await client.delete("/api/v1/traps/trap-1", headers=bearer(tokens[Role.REVIEWER]))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


async def test_call_route_with_token_of_unknown_key_is_401(client, tmp_path):
    stranger = local_issuer(make_settings(tmp_path))  # another key, same issuer name and audience
    response = await client.get("/api/v1/traps", headers=bearer(stranger.issue("mallory", [Role.ADMIN])))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unknown_signing_key"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_call_route_with_expired_token_is_token_expired(client, settings):
    expired = local_issuer(settings).issue("ada", [Role.ADMIN], ttl_s=-3600)
    response = await client.get("/api/v1/me", headers=bearer(expired))
    assert (response.status_code, response.json()["error"]["code"]) == (401, "token_expired")


async def test_login_good_password_returns_token_usable_on_me(client, settings):
    passwords_file = settings.auth_users_path.with_name("initial-passwords.txt")
    passwords = dict(line.split() for line in passwords_file.read_text().splitlines() if not line.startswith("#"))
    response = await client.post("/api/v1/auth/login", json={"username": "reviewer", "password": passwords["reviewer"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == settings.auth_token_ttl_s
    assert set(body["roles"]) == {"reviewer", "viewer"}
    me = await client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.json() == {"subject": "reviewer", "name": "Local reviewer", "roles": ["reviewer", "viewer"],
                         "app_only": False}


@pytest.mark.parametrize(("username", "password"), [("admin", "wrong-password"), ("nobody", "whatever")])
async def test_login_bad_password_is_invalid_credentials(client, username, password):
    response = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
    assert "access_token" not in response.text


async def test_get_me_reports_app_only_token(client, settings):
    token = local_issuer(settings).issue("partner-app", [Role.UPLOADER], app_only=True)
    me = (await client.get("/api/v1/me", headers=bearer(token))).json()
    assert me == {"subject": "partner-app", "name": "partner-app", "roles": ["uploader", "viewer"], "app_only": True}


async def test_get_auth_config_local_mode_is_public(client, settings):
    response = await client.get("/api/v1/auth/config")
    assert response.json() == {"mode": "local", "audience": settings.auth_audience, "entra": None}


async def test_get_openapi_declares_bearer_scheme(client):
    document = (await client.get("/api/v1/openapi.json")).json()
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


async def test_token_cli_prints_token_the_gateway_accepts(client, settings, monkeypatch, capsys):
    monkeypatch.setenv("GATEWAY_AUTH_KEY_PATH", str(settings.auth_key_path))
    monkeypatch.setenv("GATEWAY_AUTH_AUDIENCE", settings.auth_audience)
    assert token_cli.main(["--role", "uploader", "--subject", "field-team"]) == 0
    token = capsys.readouterr().out.strip()
    me = (await client.get("/api/v1/me", headers=bearer(token))).json()
    assert me["subject"] == "field-team" and me["roles"] == ["uploader", "viewer"]


def test_token_cli_entra_mode_refuses(monkeypatch, capsys):
    monkeypatch.setenv("GATEWAY_AUTH_MODE", "entra")
    monkeypatch.setenv("GATEWAY_AUTH_ISSUER", "https://login.microsoftonline.com/tid/v2.0")
    monkeypatch.setenv("GATEWAY_AUTH_METADATA_URL",
                       "https://login.microsoftonline.com/tid/v2.0/.well-known/openid-configuration")
    monkeypatch.setenv("GATEWAY_ENTRA_CLIENT_ID", "dashboard-client-id")
    assert token_cli.main(["--role", "admin"]) == 2
    assert capsys.readouterr().out == ""


def entra_settings(tmp_path, **overrides) -> GatewaySettings:
    values = {"auth_mode": "entra", "auth_issuer": "https://login.microsoftonline.com/tid/v2.0",
              "auth_metadata_url": "https://login.microsoftonline.com/tid/v2.0/.well-known/openid-configuration",
              "auth_audience": "api://ailurus", "entra_tenant_id": "tid", "entra_client_id": "dashboard-client-id",
              "entra_api_scope": "api://ailurus/access_as_user"} | overrides
    return make_settings(tmp_path, **values)


async def test_entra_mode_config_describes_msal_and_login_is_404(tmp_path):
    app = create_app(entra_settings(tmp_path))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        config = (await http.get("/api/v1/auth/config")).json()
        login = await http.post("/api/v1/auth/login", json={"username": "admin", "password": "x"})
        anonymous = await http.get("/api/v1/traps")
    assert config["entra"] == {"tenant_id": "tid", "client_id": "dashboard-client-id",
                               "scope": "api://ailurus/access_as_user",
                               "authority": "https://login.microsoftonline.com/tid"}
    assert (login.status_code, login.json()["error"]["code"]) == (404, "local_sign_in_disabled")
    assert anonymous.status_code == 401
    assert not (tmp_path / "auth").exists()  # no local key or users in entra mode


@pytest.mark.parametrize("overrides", [{"entra_client_id": None}, {"auth_issuer": None}, {"auth_metadata_url": None},
                                       {"auth_metadata_url": "http://login.example/meta"}])
def test_entra_mode_settings_incomplete_are_refused(tmp_path, overrides):
    with pytest.raises(ValidationError):
        entra_settings(tmp_path, **overrides)


def test_routes_rule_table_has_no_stale_entries(app):
    stale = set(RULES) - set(api_routes(app))
    assert not stale, f"rules for routes that no longer exist: {sorted(stale)}"


def test_rules_json_serialisable_for_docs():
    # The table doubles as documentation: every rule is a role name or public/authenticated.
    assert json.dumps({f"{m} {p}": str(r) for (m, p), r in RULES.items()})


async def test_login_repeated_failures_are_throttled_with_retry_after(client, settings):
    passwords_file = settings.auth_users_path.with_name("initial-passwords.txt")
    passwords = dict(line.split() for line in passwords_file.read_text().splitlines() if not line.startswith("#"))
    for _ in range(settings.login_max_failures):
        wrong = await client.post("/api/v1/auth/login", json={"username": "uploader", "password": "guess"})
        assert wrong.status_code == 401
    # Even the right password waits now: a guesser cannot tell it was right.
    blocked = await client.post("/api/v1/auth/login", json={"username": "Uploader", "password": passwords["uploader"]})
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "too_many_attempts"
    assert 0 < int(blocked.headers["retry-after"]) <= settings.login_window_s + 1
    other = await client.post("/api/v1/auth/login", json={"username": "viewer", "password": passwords["viewer"]})
    assert other.status_code == 200  # another user is not locked out by someone else's guessing


async def test_dashboard_page_only_served_with_its_csp(client):
    for path in ("/static/index.html", "/static/./index.html"):
        response = await client.get(path)
        assert (response.status_code, response.headers.get("location")) == (308, "/"), path
    page = await client.get("/")  # make install vendors the page's libraries
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


async def test_login_parallel_guesses_on_one_name_are_braked_at_the_limit(client, settings):
    # A name nobody else uses in this module: the brake is per name (and per client, at 4x).
    guesses = [client.post("/api/v1/auth/login", json={"username": "viewer", "password": f"guess-{n}"})
               for n in range(30)]
    statuses = sorted(r.status_code for r in await asyncio.gather(*guesses))
    assert statuses.count(401) == settings.login_max_failures
    assert statuses.count(429) == 30 - settings.login_max_failures


async def test_logout_revokes_the_token_at_once_and_across_a_restart(tmp_path):
    settings = make_settings(tmp_path)
    app = create_app(settings)
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        token = local_issuer(settings).issue("ada", [Role.VIEWER])
        assert (await http.get("/api/v1/me", headers=bearer(token))).status_code == 200  # now cached as valid
        assert (await http.post("/api/v1/auth/logout", headers=bearer(token))).status_code == 204
        refused = await http.get("/api/v1/me", headers=bearer(token))
        assert (refused.status_code, refused.json()["error"]["code"]) == (401, "token_revoked")
        other = local_issuer(settings).issue("ada", [Role.VIEWER])
        assert (await http.get("/api/v1/me", headers=bearer(other))).status_code == 200  # only that token
    app = create_app(settings)  # a restart reads the list back
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        assert (await http.get("/api/v1/me", headers=bearer(token))).json()["error"]["code"] == "token_revoked"


async def test_first_passwords_leave_the_disk_as_they_are_used(tmp_path):
    settings = make_settings(tmp_path)
    app = create_app(settings)
    passwords_file = settings.auth_users_path.with_name("initial-passwords.txt")
    async with app.router.lifespan_context(app):
        passwords = dict(line.split() for line in passwords_file.read_text().splitlines() if not line.startswith("#"))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
            for i, user in enumerate(passwords):
                ok = await http.post("/api/v1/auth/login", json={"username": user, "password": passwords[user]})
                assert ok.status_code == 200
                if i < len(passwords) - 1:
                    assert user not in passwords_file.read_text() and passwords_file.stat().st_mode & 0o077 == 0
        assert not passwords_file.exists()  # everybody signed in once: nothing plain left


async def test_first_passwords_file_is_deleted_at_start_once_too_old(tmp_path):
    settings = make_settings(tmp_path, auth_initial_passwords_max_age_s=3600)
    async with create_app(settings).router.lifespan_context(create_app(settings)):
        pass
    passwords_file = settings.auth_users_path.with_name("initial-passwords.txt")
    assert passwords_file.exists()
    old = passwords_file.stat().st_mtime - 7200
    os.utime(passwords_file, (old, old))
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert not passwords_file.exists()


@pytest.mark.parametrize(("method", "path"), [("GET", "/api/v1/review-queue"),
                                              ("POST", "/api/v1/review-queue/decisions"),
                                              ("POST", "/api/v1/review-queue/undo")])
async def test_review_queue_partner_reviewer_token_is_403_review_restricted(client, settings, method, path):
    # A partner app with the reviewer role is still a coarse caller: the queue puts red pandas first.
    token = local_issuer(settings).issue("partner-app", [Role.REVIEWER], app_only=True)
    body = {"items": [{"media_id": "a" * 64, "observation_id": "x"}]} if path.endswith("undo") else \
        {"items": [{"media_id": "a" * 64}]}
    response = await client.request(method, path, headers=bearer(token), json=body if method == "POST" else None)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "review_restricted")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.UPLOADER])
async def test_review_queue_viewer_and_uploader_are_403_forbidden(client, tokens, role):
    for method, path in (("GET", "/api/v1/review-queue"), ("POST", "/api/v1/review-queue/decisions")):
        response = await client.request(method, path, headers=bearer(tokens[role]),
                                        json={"items": [{"media_id": "a" * 64}]} if method == "POST" else None)
        assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden"), (role, path)
