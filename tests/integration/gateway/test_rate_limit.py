"""The gateway's own per-caller rate limit, in process (local auth mode): the same limit
API Management applies in front (apim/), so local mode behaves as production. Writes what
it measured to test-artifacts/rate-limit.md."""

import httpx
import pytest

from ailurus_common.auth import Role
from gateway.auth import local_issuer
from gateway.main import create_app
from tests.integration.gateway.test_auth_routes import bearer, make_settings
from tests.support.report import markdown_table

PER_MINUTE, BURST = 60, 10  # one token a second
SENT = 25


@pytest.fixture
async def client(tmp_path):
    settings = make_settings(tmp_path, rate_limit_per_minute=PER_MINUTE, rate_limit_burst=BURST)
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 40000))
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport,
                                                                   base_url="http://testserver") as http:
        http.issuer = local_issuer(settings)
        yield http


async def burst(client, path: str, headers: dict[str, str], *, method: str = "GET", **kwargs) -> list[httpx.Response]:
    return [await client.request(method, path, headers=headers, **kwargs) for _ in range(SENT)]


def passed(responses: list[httpx.Response]) -> int:
    return sum(r.status_code != 429 for r in responses)


async def test_rate_limit_per_app_user_and_address_answers_429_with_retry_after(client):
    partner_a = bearer(client.issuer.issue("partner-a", [Role.VIEWER], app_only=True))
    partner_a_again = bearer(client.issuer.issue("partner-a", [Role.ADMIN], app_only=True))  # a second token, same app
    partner_b = bearer(client.issuer.issue("partner-b", [Role.VIEWER], app_only=True))
    person = bearer(client.issuer.issue("ada", [Role.VIEWER]))
    with markdown_table("rate-limit.md", ["caller", "limit", "sent", "passed", "429", "Retry-After (s)",
                                          "error code"]) as rows:
        cases = [
            ("partner app A (app-only viewer token)", await burst(client, "/api/v1/me", partner_a)),
            ("partner app A, a second token", await burst(client, "/api/v1/me", partner_a_again)),
            ("partner app B", await burst(client, "/api/v1/me", partner_b)),
            ("signed-in user", await burst(client, "/api/v1/me", person)),
            ("no token (by client address)", await burst(client, "/api/v1/traps", {})),
            ("forged token claiming app C (by address)",
             await burst(client, "/api/v1/traps", {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJhenAiOiJDIn0."})),
        ]
        for name, responses in cases:
            refused = [r for r in responses if r.status_code == 429]
            retry = sorted({int(r.headers["retry-after"]) for r in refused})
            codes = sorted({r.json()["error"]["code"] for r in refused})
            rows.append(f"| {name} | {PER_MINUTE}/min, burst {BURST} | {len(responses)} | {passed(responses)} | "
                        f"{len(refused)} | {', '.join(map(str, retry)) or '-'} | {', '.join(codes) or '-'} |")
    by_name = dict(cases)
    # The burst passes at once (plus at most one token refilled while the loop ran).
    assert BURST <= passed(by_name["partner app A (app-only viewer token)"]) <= BURST + 1
    assert passed(by_name["partner app A, a second token"]) <= 1  # same app id, same bucket
    assert BURST <= passed(by_name["partner app B"]) <= BURST + 1
    assert BURST <= passed(by_name["signed-in user"]) <= BURST + 1
    anonymous = by_name["no token (by client address)"]
    assert BURST <= passed(anonymous) <= BURST + 1 and {r.status_code for r in anonymous} <= {401, 429}
    assert passed(by_name["forged token claiming app C (by address)"]) <= 1  # the address's bucket, already spent
    for responses in by_name.values():
        for refused in (r for r in responses if r.status_code == 429):
            assert refused.json()["error"]["code"] == "rate_limited"
            assert 1 <= int(refused.headers["retry-after"]) <= 60 / PER_MINUTE + 1


async def test_rate_limit_counts_an_upload_as_one_request(client):
    uploader = bearer(client.issuer.issue("field-app", [Role.UPLOADER], app_only=True))
    files = [("files", (f"f{n}.jpg", b"\xff\xd8\xff" + bytes(16), "image/jpeg")) for n in range(50)]
    answer = await client.post("/api/v1/traps/trap-1/images", headers=uploader, files=files)
    assert answer.status_code != 429  # ingest is not running: the upload fails downstream, not on the limit
    for _ in range(BURST - 1):  # 50 files spent one token: the rest of the burst is still there
        assert (await client.get("/api/v1/me", headers=uploader)).status_code == 200
    assert (await client.get("/api/v1/me", headers=uploader)).status_code == 429
