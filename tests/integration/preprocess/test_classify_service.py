"""preprocess over HTTP, against the real Triton server started by the session fixture."""

import hashlib
import time

import httpx
import pytest

from ailurus_common.contracts.classify import ClassifyResult
from ailurus_tools.processes import free_port
from tests.conftest import start_preprocess
from tests.support.samples import sample, sample_files

pytestmark = pytest.mark.slow

BAD_INPUT_CODES = {
    "animl_error_img.JPG": "empty_file",
    "briar_error_wide.jpg": "bad_dimensions",
    "briar_lottapixel.jpg": "too_many_pixels",
    "pillow_broken.png": "corrupt_image",
    "pillow_decompression_bomb.gif": "too_many_pixels",
    "pillow_truncated_jpeg.jpg": "corrupt_image",
    "speciesnet_african_elephants_truncated_file.jpg": "corrupt_image",
}


@pytest.fixture(scope="module")
def client(preprocess_url, service_headers):
    with httpx.Client(base_url=preprocess_url, timeout=30, headers=service_headers) as http:
        yield http


def classify(client: httpx.Client, path, *, multipart: bool = False) -> httpx.Response:
    data = path.read_bytes()
    if multipart:
        return client.post("/v1/classify", files={"file": (path.name, data, "application/octet-stream")})
    return client.post("/v1/classify", content=data, headers={"content-type": "application/octet-stream"})


@pytest.mark.parametrize("path", sample_files("cameratrap") + sample_files("exif") + sample_files("animals"),
                         ids=lambda p: p.name)
def test_classify_sample_returns_prediction(client, path):
    response = classify(client, path)
    assert response.status_code == 200, response.text
    body = response.json()
    prediction = body["prediction"]
    assert prediction["model"] == {"name": "ailurus_classifier", "version": "1"}
    assert len(prediction["top_k"]) == 5
    assert 0 <= prediction["confidence"] <= 1
    assert sum(body["group_scores"].values()) == pytest.approx(1, abs=1e-3)
    assert body["timings"]["total_ms"] > 0


def test_classify_red_panda_top1_and_group(client):
    body = classify(client, sample("animals/skeydan_red_panda.jpg"), multipart=True).json()
    assert body["prediction"]["top_k"][0]["label"] == "lesser panda, red panda"
    assert body["prediction"]["top_k"][0]["group"] == "red_panda"  # each top-k label names its group
    assert body["prediction"]["group"] == "red_panda"
    assert body["prediction"]["blank"] is False


def test_classify_giant_panda_group(client):
    body = classify(client, sample("animals/skeydan_giant_panda.jpg")).json()
    assert body["prediction"]["group"] == "giant_panda"


def test_classify_orientation_samples_agree_with_upright(client):
    reference = classify(client, sample("exif/orient_Landscape_1.jpg")).json()
    for orientation in (3, 6, 8):
        body = classify(client, sample(f"exif/orient_Landscape_{orientation}.jpg")).json()
        assert body["orientation_applied"] is True
        assert (body["exif"]["width"], body["exif"]["height"]) == (reference["exif"]["width"],
                                                                   reference["exif"]["height"])
        assert body["prediction"]["top_k"][0]["label"] == reference["prediction"]["top_k"][0]["label"]


def test_classify_heic_yields_gps(client):
    body = classify(client, sample("exif/exifsamples_IMG_5195.HEIC"), multipart=True).json()
    assert body["exif"]["format"] == "HEIF"
    assert body["exif"]["gps"]["latitude"] == pytest.approx(39.05, abs=0.01)
    assert body["exif"]["gps"]["longitude"] == pytest.approx(-94.29, abs=0.01)


@pytest.mark.parametrize("name", sorted(BAD_INPUT_CODES))
def test_classify_bad_input_gets_4xx_code_and_service_stays_healthy(client, name):
    response = classify(client, sample(f"badinput/{name}"), multipart=True)
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"] == BAD_INPUT_CODES[name]
    assert response.json()["error"]["message"]
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_classify_bad_input_covers_every_sample():
    assert {p.name for p in sample_files("badinput")} == set(BAD_INPUT_CODES)


@pytest.mark.parametrize("path", sample_files("unusual"), ids=lambda p: p.name)
def test_classify_unusual_file_never_5xx(client, path):
    response = classify(client, path, multipart=True)
    assert response.status_code in (200, 413, 415, 422), response.text
    if response.status_code != 200:
        assert response.json()["error"]["code"]


def test_classify_body_over_limit_is_413(client):
    response = client.post("/v1/classify", content=b"\xff\xd8\xff" + b"\0" * (64 * 1024 * 1024 + 1),
                           headers={"content-type": "image/jpeg"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_classify_multipart_without_file_is_400(client):
    response = client.post("/v1/classify", files={"note": (None, "no file")})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "no_file"


def test_classify_echoes_request_id(client):
    response = client.post("/v1/classify", content=sample("animals/skeydan_red_panda.jpg").read_bytes(),
                           headers={"x-request-id": "trace-abc-123"})
    assert response.headers["x-request-id"] == "trace-abc-123"


def test_metrics_expose_stage_latency_and_outcomes(client):
    classify(client, sample("animals/skeydan_red_panda.jpg"))
    text = client.get("/metrics").text
    assert 'ailurus_preprocess_stage_seconds_count{model_name="ailurus_classifier",model_version="1",stage="infer"}' in text
    assert 'ailurus_preprocess_images_total{code="",group="red_panda",status="classified"}' in text
    assert 'ailurus_http_request_duration_seconds_count{method="POST",route="/v1/classify"' in text


def test_classify_with_triton_down_is_503_with_retry_after(logs_dir, service_key, service_headers):
    # Not ready without Triton, so wait on /healthz instead of /readyz.
    process, url = start_preprocess(f"127.0.0.1:{free_port()}", logs_dir, service_key, ready_path="/healthz",
                                    PREPROCESS_TRITON_TIMEOUT_S="2")
    try:
        with httpx.Client(base_url=url, timeout=30, headers=service_headers) as http:
            assert http.get("/readyz").status_code == 503
            start = time.monotonic()
            response = http.post("/v1/classify", content=sample("animals/skeydan_red_panda.jpg").read_bytes())
            elapsed_s = time.monotonic() - start
            assert http.get("/healthz").status_code == 200
    finally:
        process.stop()
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "classifier_unavailable"
    assert int(response.headers["retry-after"]) > 0
    assert elapsed_s < 10  # bounded retries, never a hang


def test_classify_without_service_token_is_401(preprocess_url):
    response = httpx.post(f"{preprocess_url}/v1/classify", content=sample("animals/skeydan_red_panda.jpg").read_bytes())
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_token"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_classify_with_token_from_another_key_is_401(preprocess_url, tmp_path):
    from ailurus_common.auth import LocalIssuer, Role
    stranger = LocalIssuer.from_key_file(tmp_path / "other.pem").issue("mallory", [Role.ADMIN])
    response = httpx.post(f"{preprocess_url}/v1/classify", content=b"x", headers={"Authorization": f"Bearer {stranger}"})
    assert response.status_code == 401


@pytest.mark.parametrize("role", ["viewer", "uploader", "reviewer", "admin"])
@pytest.mark.parametrize("app_only", [False, True], ids=["user", "partner"])
def test_classify_with_public_token_is_refused_whatever_its_role(preprocess_url, service_key, role, app_only):
    """A user or partner who reaches preprocess cannot feed its decoders: their tokens are
    for the public API, signed by the very key preprocess trusts."""
    from ailurus_common.auth import LocalIssuer, Role
    token = LocalIssuer.from_key_file(service_key).issue("someone", [Role(role)], app_only=app_only)
    response = httpx.post(f"{preprocess_url}/v1/classify", content=b"x", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_audience"


def test_classify_with_internal_token_without_service_role_is_403(preprocess_url, service_key):
    from ailurus_common.auth import SERVICE_AUDIENCE, LocalIssuer, Role
    token = LocalIssuer.from_key_file(service_key, audience=SERVICE_AUDIENCE).issue("x", [Role.ADMIN], app_only=True)
    response = httpx.post(f"{preprocess_url}/v1/classify", content=b"x", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


def test_classify_answer_is_the_shared_contract(client):
    body = classify(client, sample("exif/exifsamples_DSCN0010.jpg")).json()
    result = ClassifyResult.model_validate(body)  # extra="forbid": no field outside the contract
    assert result.exif.captured_at_local and result.exif.gps is not None
    assert result.blob_thumbnail is None  # no media id: nothing stored


def test_classify_with_media_id_stores_thumbnail_in_processed(client, logs_dir):
    data = sample("animals/skeydan_red_panda.jpg").read_bytes()
    media_id = hashlib.sha256(data).hexdigest()
    response = client.post("/v1/classify", params={"media_id": media_id}, content=data)
    assert response.status_code == 200
    assert response.json()["blob_thumbnail"] == f"{media_id}.jpg"
    thumbnail = (logs_dir.parent / "preprocess-blobs" / "processed" / f"{media_id}.jpg").read_bytes()
    assert thumbnail[:3] == b"\xff\xd8\xff" and len(thumbnail) < len(data)


def test_classify_with_malformed_media_id_is_422_not_an_image_error(client):
    response = client.post("/v1/classify", params={"media_id": "../../etc"},
                           content=sample("animals/skeydan_red_panda.jpg").read_bytes())
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
