"""The public contract seen from outside, for every kind of caller: no coarse caller (viewer,
uploader, any app-only partner token) gets an exact position, elevation, notes, GPS or an
original from any route, write routes included; every answer matches its OpenAPI schema
(the ``client_for`` clients check each one); the OpenAPI names a schema for every answer."""

import pytest

from tests.support.samples import sample
from tests.support.uploads import jpeg_variants, upload

pytestmark = pytest.mark.slow
TRAP = {"id": "contract-den", "name": "Den below the pass", "latitude": 27.65432, "longitude": 88.23456,
        "elevation_m": 2987, "notes": "under the old oak", "timezone": "Asia/Kathmandu"}
# The GPS sample's own position (exifsamples_DSCN0010.jpg: 43.4674 N, 11.8851 E).
NEEDLES = ["27.654", "88.234", "88.235", "2987", "old oak", "43.46", "11.88"]
COARSE_CALLERS = [("viewer", False), ("uploader", False), ("viewer", True), ("uploader", True), ("reviewer", True),
                  ("admin", True)]


def leaks(text: str) -> list[str]:
    return [n for n in NEEDLES if n in text]


@pytest.fixture(scope="module")
def den(api) -> dict:
    assert api.post("/api/v1/traps", json=TRAP).status_code == 201
    panda = jpeg_variants(sample("animals/skeydan_red_panda.jpg"), 1, tag="contract")[0]
    gps = sample("exif/exifsamples_DSCN0010.jpg").read_bytes() + b"contract"
    results = upload(api, TRAP["id"], [("files", (*panda, "image/jpeg")), ("files", ("gps.jpg", gps, "image/jpeg"))])
    assert [r["status"] for r in results] == ["classified", "classified"]
    return {"panda": results[0]["media_id"], "gps": results[1]["media_id"]}


def read_everything(client, den: dict) -> dict:
    trap_id = TRAP["id"]
    return {
        "traps": client.get("/api/v1/traps"),
        "trap": client.get(f"/api/v1/traps/{trap_id}"),
        "map": client.get("/api/v1/map/traps"),
        "heatmap": client.get("/api/v1/map/heatmap", params={"group": "red_panda"}),
        "heatmap bird": client.get("/api/v1/map/heatmap", params={"group": "mammal"}),
        "media": client.get("/api/v1/media", params={"trap_id": trap_id}),
        "one media": client.get(f"/api/v1/media/{den['gps']}"),
        "analytics": client.get("/api/v1/analytics"),
        "me": client.get("/api/v1/me"),
    }


@pytest.mark.parametrize(("role", "app_only"), COARSE_CALLERS, ids=lambda v: str(v))
def test_coarse_caller_reads_nothing_exact(client_for, den, role, app_only):
    client = client_for(role, app_only=app_only)
    for name, response in read_everything(client, den).items():
        assert response.status_code == 200, (name, response.text)
        assert leaks(response.text) == [], name
    trap = client.get(f"/api/v1/traps/{TRAP['id']}").json()
    assert trap["location_precision"].startswith("cell:") and "elevation_m" not in trap
    assert client.get(f"/api/v1/media/{den['gps']}/original").status_code == 403


def test_partner_admin_writes_get_coarse_answers(client_for, den):
    partner = client_for("admin", app_only=True)
    patched = partner.patch(f"/api/v1/traps/{TRAP['id']}", json={})  # the empty PATCH once leaked it all
    assert patched.status_code == 200 and leaks(patched.text) == []
    assert patched.json()["location_precision"].startswith("cell:")
    created = partner.post("/api/v1/traps", json={**TRAP, "id": "partner-den", "latitude": 27.65433})
    assert created.status_code == 201 and leaks(created.text) == []
    assert partner.delete("/api/v1/traps/partner-den").status_code == 204


def test_partner_reviewer_review_answer_has_no_gps(client_for, den):
    partner = client_for("reviewer", app_only=True)
    reviewed = partner.post(f"/api/v1/media/{den['gps']}/review", json={"group": "mammal", "label": "marten"})
    assert reviewed.status_code == 201 and leaks(reviewed.text) == []
    assert [o["method"] for o in reviewed.json()["observations"]] == ["machine", "human"]


def test_uploader_upload_answer_has_no_position(client_for, den):
    uploader = client_for("uploader")
    name, data = jpeg_variants(sample("exif/exifsamples_DSCN0010.jpg"), 1, tag="uploader")[0]
    response = uploader.post(f"/api/v1/traps/{TRAP['id']}/images", files=[("files", (name, data, "image/jpeg"))])
    assert response.status_code == 200 and leaks(response.text) == []
    assert response.json()["results"][0]["status"] == "classified"


def test_signed_in_reviewer_sees_exact_position_and_gps(client_for, den):
    reviewer = client_for("reviewer")
    trap = reviewer.get(f"/api/v1/traps/{TRAP['id']}").json()
    assert (trap["latitude"], trap["elevation_m"], trap["notes"]) == (TRAP["latitude"], 2987, TRAP["notes"])
    media = reviewer.get(f"/api/v1/media/{den['gps']}").json()
    assert media["exif"]["gps"]["latitude"] == pytest.approx(43.4674, abs=1e-3)
    assert reviewer.get(f"/api/v1/media/{den['gps']}/original").status_code == 200


def test_error_answers_match_their_schema(client_for, den):
    viewer = client_for("viewer")
    missing = viewer.get("/api/v1/traps/no-such-trap")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "trap_not_found"
    assert viewer.get("/api/v1/media", params={"cursor": "garbage"}).json()["error"]["code"] == "invalid_cursor"
    assert viewer.post("/api/v1/traps", json=TRAP).status_code == 403


def test_openapi_names_a_schema_for_every_answer(openapi_check, den):
    document = openapi_check.document

    def free_objects(schema: dict, where: str) -> list[str]:
        if "$ref" in schema:
            return []
        found = []
        if schema.get("type") == "object" and not schema.get("properties") and not isinstance(
                schema.get("additionalProperties"), dict):
            found.append(where)
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                found += free_objects(schema[key], f"{where}.{key}")
        for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            for i, sub in enumerate(schema.get(key, [])):
                found += free_objects(sub, f"{where}.{key}[{i}]")
        for name, sub in schema.get("properties", {}).items():
            found += free_objects(sub, f"{where}.{name}")
        return found

    problems = []
    for path, methods in document["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in methods.items():
            for status, answer in operation["responses"].items():
                content = answer.get("content", {})
                if status.startswith("2") and "application/json" in content:
                    schema = content["application/json"].get("schema", {})
                    if not schema:
                        problems.append(f"{method} {path} {status}: no schema")
                    problems += [f"{method} {path} {status}: free object at {w}" for w in free_objects(schema, "$")]
                if status.startswith(("4", "5")) and content:
                    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
                    if not ref.endswith(("/ErrorResponse", "/HTTPValidationError")):
                        problems.append(f"{method} {path} {status}: error without the error schema")
    for name, schema in document["components"]["schemas"].items():
        problems += [f"schema {name}: free object at {w}" for w in free_objects(schema, "$")]
    assert problems == []
    codes = document["components"]["schemas"]["ErrorCode"]["enum"]
    assert {"trap_not_found", "unsupported_format", "original_restricted"} <= set(codes)
    assert openapi_check.checked > 0


@pytest.mark.parametrize("change", [{"latitude": None, "longitude": None}, {"name": None}, {"timezone": "Mars/Olympus"},
                                    {"latitude": 91}, {"elevation_m": "high"}, {"unknown_field": 1}])
def test_patch_trap_invalid_change_is_422_never_5xx(api, den, change):
    response = api.patch(f"/api/v1/traps/{TRAP['id']}", json=change)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"


def test_patch_trap_clears_optional_field_with_null(api, den):
    response = api.patch(f"/api/v1/traps/{TRAP['id']}", json={"notes": None})
    assert response.status_code == 200 and response.json()["notes"] is None
    assert api.patch(f"/api/v1/traps/{TRAP['id']}", json={"notes": TRAP["notes"]}).json()["notes"] == TRAP["notes"]


def test_upload_file_over_limit_is_refused_alone_while_it_streams(api, den):
    name, data = jpeg_variants(sample("animals/skeydan_red_panda.jpg"), 1, tag="beside-big")[0]
    big = b"\xff\xd8\xff" + bytes(64 * 1024 * 1024)  # one byte over the 64 MiB per-file limit
    response = api.post(f"/api/v1/traps/{TRAP['id']}/images",
                        files=[("files", ("big.jpg", big, "image/jpeg")), ("files", (name, data, "image/jpeg"))])
    assert response.status_code == 200
    big_result, good = response.json()["results"]
    assert (big_result["status"], big_result["error"]["code"]) == ("rejected", "too_large")
    assert good["status"] == "classified"


@pytest.mark.parametrize(("body", "content_type", "status", "code"), [
    (b'{"files": []}', "application/json", 415, "unsupported_media_type"),
    (b"--b\r\nContent-Disposition: form-data; name=note\r\n\r\nhi\r\n--b--\r\n", "multipart/form-data; boundary=b",
     400, "no_files"),
])
def test_upload_without_files_is_a_clear_4xx(api, den, body, content_type, status, code):
    response = api.post(f"/api/v1/traps/{TRAP['id']}/images", content=body, headers={"content-type": content_type})
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


@pytest.mark.parametrize(("role", "app_only"), COARSE_CALLERS, ids=lambda v: str(v))
def test_coarse_caller_sees_no_people_named(client_for, api, den, role, app_only):
    api.post(f"/api/v1/media/{den['gps']}/review", json={"group": "mammal"})  # a reviewer's observation
    client = client_for(role, app_only=app_only)
    for media in [client.get(f"/api/v1/media/{den['gps']}").json(),
                  *client.get("/api/v1/media", params={"trap_id": TRAP["id"]}).json()["items"]]:
        assert "uploaded_by" not in media
        assert all("classified_by" not in o for o in media["observations"])
    assert "stack-admin" not in client.get("/api/v1/media", params={"trap_id": TRAP["id"]}).text


@pytest.mark.parametrize(("bbox", "status", "code"), [
    ("inf,-inf,inf,inf", 422, "invalid_request"), ("nan,0,1,1", 422, "invalid_request"),
    ("1,2,3", 422, "invalid_request"), ("a,b,c,d", 422, "invalid_request"), ("0,0,1,1,2", 422, "invalid_request"),
    ("-200,0,1,1", 400, "invalid_query"), ("5,5,1,1", 400, "invalid_query"),
])
def test_heatmap_odd_bbox_is_refused_for_every_precision(client_for, den, bbox, status, code):
    """Not four numbers: the schema's pattern refuses it (422). Four numbers out of range or
    min after max: a rule the schema cannot state (400)."""
    for client in (client_for("viewer"), client_for("reviewer")):
        for group in ("red_panda", "mammal"):
            response = client.get("/api/v1/map/heatmap", params={"bbox": bbox, "group": group})
            assert response.status_code == status, (bbox, group, response.text)
            assert response.json()["error"]["code"] == code
