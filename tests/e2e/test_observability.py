"""One request id from the caller through gateway, preprocess and ingest into every
service's JSON log lines; metrics on every service."""

import json

import httpx
import pytest

from tests.support.samples import sample
from tests.support.uploads import jpeg_variants

pytestmark = pytest.mark.slow


def log_lines(path) -> list[dict]:
    lines = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue  # a non-JSON line (e.g. a native library's output) is not ours to check
    return lines


def test_request_id_reaches_every_service_log(api, azure_stack):
    trap = {"id": "trace-trap", "name": "trace", "latitude": 27.0, "longitude": 88.0}
    assert api.post("/api/v1/traps", json=trap).status_code == 201
    name, data = jpeg_variants(sample("animals/skeydan_giant_panda.jpg"), 1)[0]
    request_id = "trace-4f2a9c"
    response = api.post("/api/v1/traps/trace-trap/images", files=[("files", (name, data, "image/jpeg"))],
                        headers={"X-Request-ID": request_id})
    assert response.status_code == 200 and response.headers["x-request-id"] == request_id
    for service in ("gateway", "preprocess", "ingest"):
        lines = [line for line in log_lines(azure_stack.logs / f"{service}.log") if line.get("request_id") == request_id]
        assert lines, f"no {service} log line carries the request id"
        assert all(line["service"] == service and "level" in line and "time" in line for line in lines)


def test_traceparent_is_accepted_as_request_id(api):
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = api.get("/api/v1/traps", headers={"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"})
    assert response.headers["x-request-id"] == trace_id


@pytest.mark.parametrize("service", ["gateway", "preprocess", "ingest"])
def test_metrics_exposed_on_every_service(azure_stack, service):
    url = {"gateway": azure_stack.gateway_url, "preprocess": azure_stack.preprocess_url,
           "ingest": azure_stack.ingest_url}[service]
    text = httpx.get(f"{url}/metrics", timeout=10).text
    assert f'ailurus_http_request_duration_seconds_count{{method="GET",route="/readyz",service="{service}"' in text
