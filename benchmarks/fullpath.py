"""The full HTTP upload path (gateway -> blob -> preprocess -> Triton -> metadata) and the
naive way the original system worked (one image per request, one at a time)."""

import asyncio
import statistics
import time

import httpx


async def _post_batches(gateway_url: str, trap_id: str, batches: list[list[tuple[str, bytes]]], *,
                        concurrency: int, headers: dict[str, str]) -> tuple[float, list[float]]:
    queue = list(batches)
    latencies: list[float] = []

    async def worker(client: httpx.AsyncClient) -> None:
        while queue:
            batch = queue.pop()
            files = [("files", (name, data, "image/jpeg")) for name, data in batch]
            t0 = time.perf_counter()
            response = await client.post(f"/api/v1/traps/{trap_id}/images", files=files)
            response.raise_for_status()
            statuses = {r["status"] for r in response.json()["results"]}
            if statuses != {"classified"}:
                raise RuntimeError(f"benchmark upload not fully classified: {statuses}")
            latencies.append(time.perf_counter() - t0)

    async with httpx.AsyncClient(base_url=gateway_url, timeout=600, headers=headers) as client:
        start = time.perf_counter()
        await asyncio.gather(*[worker(client) for _ in range(concurrency)])
        return time.perf_counter() - start, latencies


def batch_rate(gateway_url: str, trap_id: str, batches: list[list[tuple[str, bytes]]], *, concurrency: int,
               headers: dict[str, str]) -> dict:
    """images/s and per-batch latency for ``concurrency`` batch uploads in flight."""
    elapsed_s, latencies = asyncio.run(_post_batches(gateway_url, trap_id, batches, concurrency=concurrency,
                                                     headers=headers))
    images = sum(len(b) for b in batches)
    latencies.sort()
    return {"images": images, "images_per_s": images / elapsed_s, "p50_ms": statistics.median(latencies) * 1e3,
            "p95_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] * 1e3}


def naive_rate(gateway_url: str, trap_id: str, files: list[tuple[str, bytes]], *, headers: dict[str, str]) -> dict:
    """One image per request, one request at a time (how the first prototype worked)."""
    latencies = []
    with httpx.Client(base_url=gateway_url, timeout=600, headers=headers) as client:
        start = time.perf_counter()
        for name, data in files:
            t0 = time.perf_counter()
            client.post(f"/api/v1/traps/{trap_id}/images", files=[("files", (name, data, "image/jpeg"))]).raise_for_status()
            latencies.append(time.perf_counter() - t0)
        elapsed_s = time.perf_counter() - start
    return {"images": len(files), "images_per_s": len(files) / elapsed_s, "p50_ms": statistics.median(latencies) * 1e3}
