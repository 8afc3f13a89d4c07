"""``make bench``: every figure below is measured in this one run, on the same images.

(a) bare in-process decode+resize+ONNX Runtime (the ceiling), (b) the preprocess service
through the real Triton server, (c) the full HTTP upload path in batches of 20 on both
storage backends (folder + SQLite, and Azurite + the Cosmos DB stand-in: the production
shape), (d) the naive baseline (one image per request, one at a time), (e) the full path
with tracing off, on at 10% and on at 100% sampling (OTLP/HTTP to a loopback receiver),
with ratios, Triton's mean batch and the CPU each process spent per image.
"""

import os
import platform
import sys
import tempfile
from pathlib import Path

import httpx

from ailurus_tools.otlp_receiver import otlp_receiver, tracing_env
from ailurus_tools.processes import free_port
from ailurus_tools.stack import Stack, StackConfig
from benchmarks.bare import bare_rate
from benchmarks.cpu import stack_cpu_s
from benchmarks.fullpath import batch_rate, naive_rate
from benchmarks.images import camera_trap_jpegs, unique_batches
from benchmarks.service import service_rate, triton_counts

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = ROOT / "model_repository" / "ailurus_classifier"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "10"))
BACKENDS = os.environ.get("BENCH_BACKENDS", "local,azure").split(",")
BATCH = 20
SERVICES = ("triton", "preprocess", "ingest", "gateway")


def _row(name: str, r: dict, bare: dict, extra: str = "-") -> str:
    return (f"| {name} | {r['images_per_s']:.1f} | {r['images_per_s'] / bare['images_per_s']:.2f} | "
            f"{r.get('p50_ms', 0):.0f} | {r.get('p95_ms', 0):.0f} | {extra} |")


def _stack(backend: str, *, env: dict[str, str] | None = None, triton_trace_url: str | None = None) -> Stack:
    data_dir = Path(tempfile.mkdtemp(prefix=f"ailurus-bench-{backend}-"))
    return Stack(StackConfig(backend=backend, data_dir=data_dir, gateway_port=free_port(), preprocess_port=free_port(),
                             ingest_port=free_port(), worker_port=free_port(), ml_port=free_port(),
                             notifier_port=free_port(),
                             triton_ports=(free_port(), free_port(), free_port()),
                             blob_port=free_port(), queue_port=free_port(), cosmos_port=free_port(),
                             triton_trace_otlp_url=triton_trace_url,
                             extra_env={name: {f"{name.upper()}_LOG_LEVEL": "WARNING", **(env or {})}
                                        for name in ("gateway", "preprocess", "ingest")}))


def _tracing_rows(images, bare: dict, rows: list[str]) -> None:
    """(e) The same full path (folder + SQLite, 2 batches in flight) with tracing off, at 10%
    and at 100%, each on a fresh stack; the receiver counts the spans that arrived."""
    baseline = None
    with otlp_receiver() as receiver:
        for label, ratio in (("off", None), ("10% sampled", 0.1), ("100% sampled", 1.0)):
            env = tracing_env(receiver.endpoint, ratio=ratio) if ratio is not None else None
            # Triton samples on its own (one request in N, not by the caller's decision): its
            # spans join only the fully sampled run, where every request is traced anyway.
            stack = _stack("local", env=env,
                           triton_trace_url=f"{receiver.endpoint}/v1/traces" if ratio == 1.0 else None)
            try:
                stack.start()
                auth = {"Authorization": f"Bearer {stack.token('admin')}"}
                httpx.post(f"{stack.gateway_url}/api/v1/traps", headers=auth, json={
                    "id": "bench", "name": "bench", "latitude": 27.7, "longitude": 88.1}).raise_for_status()
                batch_rate(stack.gateway_url, "bench", unique_batches(images, batch_size=BATCH, batches=2,
                                                                      tag=f"warm-trace-{ratio}"),
                           concurrency=1, headers=auth)
                receiver.clear()
                r = batch_rate(stack.gateway_url, "bench", unique_batches(
                    images, batch_size=BATCH, batches=max(4, ROUNDS), tag=f"trace-{ratio}"), concurrency=2,
                    headers=auth)
            finally:
                stack.stop()  # flushes what the services still buffer
            baseline = baseline or r
            rows.append(_row(f"(e) full upload path, tracing {label}, batches of {BATCH}, 2 in flight", r, bare,
                             f"{r['images_per_s'] / baseline['images_per_s']:.2f} x tracing off; "
                             f"{len(receiver.spans())} spans exported"))


def _full_path(stack: Stack, images, bare: dict, backend: str, auth: dict, rows: list[str]) -> dict[int, dict]:
    metrics = stack.triton.metrics_url
    httpx.post(f"{stack.gateway_url}/api/v1/traps", headers=auth, json={"id": "bench", "name": "bench",
                                                                         "latitude": 27.7, "longitude": 88.1}
               ).raise_for_status()
    batches = max(4, ROUNDS)
    batch_rate(stack.gateway_url, "bench", unique_batches(images, batch_size=BATCH, batches=2, tag=f"warm-{backend}"),
               concurrency=1, headers=auth)
    full = {}
    for concurrency in (1, 2, 4):
        before, cpu_before = triton_counts(metrics), stack_cpu_s(stack)
        r = batch_rate(stack.gateway_url, "bench", unique_batches(
            images, batch_size=BATCH, batches=batches, tag=f"{backend}-c{concurrency}"), concurrency=concurrency,
            headers=auth)
        after, cpu_after = triton_counts(metrics), stack_cpu_s(stack)
        mean_batch = (after[0] - before[0]) / max(after[1] - before[1], 1)
        r["cpu_ms_per_image"] = {k: (cpu_after[k] - cpu_before[k]) * 1e3 / r["images"] for k in cpu_after}
        full[concurrency] = r
        rows.append(_row(f"(c) full upload path on {backend}, batches of {BATCH}, {concurrency} in flight", r, bare,
                         f"mean batch {mean_batch:.2f}"))
    return full


def _cpu_table(backend: str, full: dict[int, dict], bare: dict) -> None:
    extra = [k for k in full[1]["cpu_ms_per_image"] if k not in SERVICES]  # the Azure stand-ins
    print(f"\nCPU per image on the full path, {backend} (ms of one core; whole process groups). Bare decode+infer "
          f"takes {_bare_ms(bare):.1f} ms per image one after the other (x bare) and {bare['cpu_ms_per_image']:.1f} ms "
          f"of CPU with ONNX Runtime's threads (x bare CPU); the Azure stand-ins are outside the total:")
    print("| in flight | " + " | ".join(SERVICES) + " | total | x bare | x bare CPU |" + "".join(f" {k} |" for k in extra))
    print("| ---: |" + " ---: |" * (len(SERVICES) + 3 + len(extra)))
    for concurrency, r in full.items():
        cpu = r["cpu_ms_per_image"]
        total = sum(cpu[k] for k in SERVICES)
        print(f"| {concurrency} | " + " | ".join(f"{cpu[k]:.1f}" for k in SERVICES)
              + f" | {total:.1f} | {total / _bare_ms(bare):.2f} | {total / bare['cpu_ms_per_image']:.2f} |"
              + "".join(f" {cpu[k]:.1f} |" for k in extra))


def _bare_ms(bare: dict) -> float:
    """Bare decode+infer, ms per image one after the other (the unit the targets use)."""
    return 1e3 / bare["images_per_s"]


def main() -> int:
    images = camera_trap_jpegs(size=(2048, 1536))
    print(f"bench: {len(images)} camera-trap JPEGs of 2048x1536, {ROUNDS} rounds; {os.cpu_count()} cores "
          f"{platform.machine()}, Python {platform.python_version()}; backends {', '.join(BACKENDS)}", flush=True)
    bare = bare_rate(images, MODEL_DIR, rounds=ROUNDS)
    rows: list[str] = []
    full_by_backend: dict[str, dict[int, dict]] = {}
    naive = None
    for backend in BACKENDS:
        stack = _stack(backend)
        try:
            stack.start()
            auth = {"Authorization": f"Bearer {stack.token('admin')}"}  # local-mode token signed with the stack's key
            service = {"Authorization": f"Bearer {stack.service_token()}"}  # preprocess takes only the gateway's kind
            if naive is None:  # (b) and (d) do not depend on the storage backend
                for concurrency in (1, 32):
                    r = service_rate(stack.preprocess_url, stack.triton.metrics_url, [d for _, d in images],
                                     concurrency=concurrency, total=len(images) * ROUNDS, headers=service)
                    rows.append(_row(f"(b) preprocess -> Triton, {concurrency} in flight", r, bare,
                                     f"mean batch {r['mean_batch']:.2f}"))
            full_by_backend[backend] = _full_path(stack, images, bare, backend, auth, rows)
            if naive is None:
                naive = naive_rate(stack.gateway_url, "bench",
                                   unique_batches(images, batch_size=BATCH, batches=1, tag="naive")[0], headers=auth)
                rows.append(_row("(d) naive: 1 image per request, sequential", naive, bare))
        finally:
            stack.stop()

    if os.environ.get("BENCH_TRACING", "1") != "0":
        _tracing_rows(images, bare, rows)

    print("\n| path | images/s | vs bare | p50 ms | p95 ms | notes |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    print(f"| (a) bare decode+resize+ORT in-process, sequential | {bare['images_per_s']:.1f} | 1.00 | - | - | "
          f"decode {bare['decode_ms']:.1f} ms + infer {bare['infer_ms']:.1f} ms per image, "
          f"{bare['cpu_ms_per_image']:.1f} ms CPU |")
    print("\n".join(rows))
    for backend, full in full_by_backend.items():
        _cpu_table(backend, full, bare)
    print()
    for backend, full in full_by_backend.items():
        best = max(full.values(), key=lambda r: r["images_per_s"])
        total = sum(best["cpu_ms_per_image"][k] for k in SERVICES)
        print(f"{backend}: full path best {best['images_per_s']:.1f} images/s = "
              f"{best['images_per_s'] / bare['images_per_s']:.2f} x bare, "
              f"{best['images_per_s'] / naive['images_per_s']:.1f} x naive; CPU {total:.1f} ms per image = "
              f"{total / _bare_ms(bare):.2f} x bare ({total / bare['cpu_ms_per_image']:.2f} x bare CPU); "
              f"batch of {BATCH} alone: p50 {full[1]['p50_ms']:.0f} ms (first prototype: 5000 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
