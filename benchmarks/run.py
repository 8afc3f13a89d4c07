"""``make bench``: every figure below is measured in this one run, on the same images.

(a) bare in-process decode+resize+ONNX Runtime, (b) the preprocess service through the
real Triton server at concurrency 1 and 32, (c) the ratio b/a, (d) Triton's mean batch.
"""

import os
import platform
import sys
import tempfile
from pathlib import Path

from ailurus_tools.processes import ManagedProcess, free_port
from ailurus_tools.triton.server import LocalTriton, TritonSettings
from benchmarks.bare import bare_rate
from benchmarks.images import camera_trap_jpegs
from benchmarks.service import service_rate

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = ROOT / "model_repository" / "ailurus_classifier"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "10"))


def main() -> int:
    images = camera_trap_jpegs()
    print(f"bench: {len(images)} camera-trap JPEGs x {ROUNDS} rounds; {os.cpu_count()} cores, "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}", flush=True)
    bare = bare_rate(images, MODEL_DIR, rounds=ROUNDS)

    work = Path(tempfile.mkdtemp(prefix="ailurus-bench-"))
    triton = LocalTriton(TritonSettings(model_repository=MODEL_DIR.parent, work_dir=work / "triton",
                                        http_port=free_port(), grpc_port=free_port(), metrics_port=free_port()))
    port = free_port()
    preprocess = ManagedProcess("preprocess", [sys.executable, "-m", "preprocess"], cwd=ROOT,
                                env={"PREPROCESS_PORT": str(port), "PREPROCESS_LOG_LEVEL": "WARNING",
                                     "PREPROCESS_MODEL_DIR": str(MODEL_DIR)},
                                ready_url=f"http://127.0.0.1:{port}/readyz", log_path=work / "preprocess.log")
    rows = []
    try:
        triton.start(log_path=work / "triton.log")
        preprocess.env["PREPROCESS_TRITON_URL"] = triton.grpc_url
        preprocess.start(timeout_s=60)
        payloads = [data for _, data in images]
        total = len(images) * ROUNDS
        for concurrency in (1, 32):
            result = service_rate(f"http://127.0.0.1:{port}", triton.metrics_url, payloads,
                                  concurrency=concurrency, total=total)
            rows.append((concurrency, result))
    finally:
        preprocess.stop()
        triton.stop()

    print("\n| path | images/s | vs bare | p50 ms | p95 ms | Triton mean batch |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(f"| (a) bare decode+resize+ORT, in-process, sequential | {bare['images_per_s']:.1f} | 1.00 | "
          f"decode {bare['decode_ms']:.1f} | infer {bare['infer_ms']:.1f} | - |")
    for concurrency, r in rows:
        print(f"| (b) preprocess HTTP -> Triton gRPC, concurrency {concurrency} | {r['images_per_s']:.1f} | "
              f"{r['images_per_s'] / bare['images_per_s']:.2f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
              f"{r['mean_batch']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
