"""Concurrent requests through preprocess reach Triton's dynamic batcher as batches > 1."""

import asyncio

import httpx
import pytest

from tests.support.samples import sample_files

pytestmark = pytest.mark.slow
CONCURRENCY = 32


def batch_sizes(triton) -> dict[int, int]:
    """Executions per batch size from Triton's statistics extension (a restricted API)."""
    stats = httpx.get(f"{triton.http_url}/v2/models/ailurus_classifier/stats", timeout=10,
                      headers=triton.access_headers(grpc=False)).json()
    return {int(b["batch_size"]): int(b["compute_infer"]["count"]) for b in stats["model_stats"][0]["batch_stats"]}


def metric_value(text: str, name: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(name + "{") and 'model="ailurus_classifier"' in line)


async def test_concurrent_requests_execute_in_batches(triton, preprocess_url, service_headers):
    images = [p.read_bytes() for p in sample_files("cameratrap")]
    before = batch_sizes(triton)

    async with httpx.AsyncClient(base_url=preprocess_url, timeout=60, headers=service_headers,
                                 limits=httpx.Limits(max_connections=CONCURRENCY)) as client:
        responses = await asyncio.gather(*[
            client.post("/v1/classify", content=images[i % len(images)]) for i in range(CONCURRENCY * 4)])

    assert all(r.status_code == 200 for r in responses)
    after = batch_sizes(triton)
    new_batched = {size: count - before.get(size, 0) for size, count in after.items() if size > 1}
    assert sum(new_batched.values()) > 0, after
    metrics = httpx.get(triton.metrics_url, timeout=10).text
    requests = metric_value(metrics, "nv_inference_count")
    executions = metric_value(metrics, "nv_inference_exec_count")
    assert requests > executions > 0  # mean batch size > 1


def test_statistics_and_model_control_need_the_access_key(triton):
    for method, path in (("GET", "/v2/models/ailurus_classifier/stats"), ("POST", "/v2/repository/index"),
                         ("POST", "/v2/repository/models/ailurus_classifier/unload"),
                         ("GET", "/v2/models/ailurus_classifier/config")):
        assert httpx.request(method, f"{triton.http_url}{path}", timeout=10).status_code == 403, path
    # Inference, health and metadata stay open to preprocess.
    assert httpx.get(f"{triton.http_url}/v2/models/ailurus_classifier", timeout=10).status_code == 200
    assert httpx.post(f"{triton.http_url}/v2/repository/index", timeout=10,
                      headers=triton.access_headers(grpc=False)).status_code == 200
