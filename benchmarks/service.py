"""The preprocess service path over HTTP, with Triton doing the inference."""

import asyncio
import time

import httpx


async def _drive(url: str, images: list[bytes], *, concurrency: int, total: int,
                 headers: dict[str, str]) -> tuple[float, list[float]]:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(images[i % len(images)])
    latencies: list[float] = []

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            data = queue.get_nowait()
            t0 = time.perf_counter()
            response = await client.post("/v1/classify", content=data)
            response.raise_for_status()
            latencies.append(time.perf_counter() - t0)

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits, headers=headers) as client:
        start = time.perf_counter()
        await asyncio.gather(*[worker(client) for _ in range(concurrency)])
        return time.perf_counter() - start, latencies


def triton_counts(metrics_url: str) -> tuple[float, float]:
    """(inferences, executions) so far: their ratio is the mean batch size."""
    text = httpx.get(metrics_url, timeout=10).text
    values = {"nv_inference_count": 0.0, "nv_inference_exec_count": 0.0}
    for line in text.splitlines():
        name = line.split("{", 1)[0]
        if name in values:
            values[name] += float(line.rsplit(" ", 1)[1])
    return values["nv_inference_count"], values["nv_inference_exec_count"]


def service_rate(url: str, metrics_url: str, images: list[bytes], *, concurrency: int, total: int,
                 headers: dict[str, str]) -> dict:
    asyncio.run(_drive(url, images, concurrency=concurrency, total=min(total, 2 * concurrency),
                       headers=headers))  # warm-up
    inferences0, executions0 = triton_counts(metrics_url)
    elapsed_s, latencies = asyncio.run(_drive(url, images, concurrency=concurrency, total=total, headers=headers))
    inferences1, executions1 = triton_counts(metrics_url)
    latencies.sort()
    executions = executions1 - executions0
    return {
        "images": total, "images_per_s": total / elapsed_s,
        "p50_ms": latencies[len(latencies) // 2] * 1e3, "p95_ms": latencies[int(len(latencies) * 0.95)] * 1e3,
        "mean_batch": (inferences1 - inferences0) / executions if executions else 0.0,
    }
