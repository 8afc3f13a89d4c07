"""Decoders cannot be used to kill preprocess: hostile files that are small on the wire
and huge once decoded, eight at once, against a real preprocess with its default limits.
Its peak RSS (VmHWM) stays far below the chart's 2 GiB limit."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import start_preprocess
from tests.support.hostile import zero_png

MIB = 1024 * 1024
CHART_MEMORY_LIMIT = 2048 * MIB


def _kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} for {pid}")


@pytest.fixture(scope="module")
def preprocess(triton, logs_dir, service_key):
    (logs_dir / "budget").mkdir(exist_ok=True)
    process, url = start_preprocess(triton.grpc_url, logs_dir / "budget", service_key)
    yield process.process.pid, url
    process.stop()


def _post_all(url: str, headers: dict, files: list[bytes]) -> list[httpx.Response]:
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client, ThreadPoolExecutor(len(files)) as pool:
        return list(pool.map(lambda data: client.post("/v1/classify", content=data), files))


def test_eight_hostile_pngs_at_once_are_refused_and_memory_stays_flat(preprocess, service_headers):
    pid, url = preprocess
    bomb = zero_png(12_000, 9_700)  # 116 Mpx RGBA, 0.45 MB: grew preprocess by 2.2 GB before
    before = _kib(pid, "VmRSS")
    responses = _post_all(url, service_headers, [bomb] * 8)
    assert [r.status_code for r in responses] == [413] * 8
    assert {r.json()["error"]["code"] for r in responses} == {"over_decode_budget"}
    assert _kib(pid, "VmHWM") - before < 64 * MIB
    assert httpx.get(f"{url}/healthz").status_code == 200


def test_eight_large_but_allowed_pngs_at_once_wait_for_the_pool(preprocess, service_headers):
    """Each fits one image's budget (~350 MB costed), all eight do not fit the pool at
    once: they are decoded in turn, all classified, and the peak stays bounded."""
    pid, url = preprocess
    big = zero_png(6_000, 5_000)  # 30 Mpx RGBA
    responses = _post_all(url, service_headers, [big] * 8)
    assert [r.status_code for r in responses] == [200] * 8
    assert _kib(pid, "VmHWM") < CHART_MEMORY_LIMIT * 0.75
