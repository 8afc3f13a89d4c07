"""``python -m ailurus_tools.stack``: start the whole local stack, print where it
listens, stop everything on Ctrl-C/SIGTERM (or when any part dies)."""

import signal
import sys
import threading
from pathlib import Path

from ailurus_tools.processes import ManagedProcess, ProcessError
from ailurus_tools.triton.server import LocalTriton, TritonError, TritonSettings

LOG_DIR = Path("var/logs")


def _service(name: str, module: str, port: int, env: dict[str, str]) -> ManagedProcess:
    return ManagedProcess(name, [sys.executable, "-m", module], env=env, log_path=LOG_DIR / f"{name}.log",
                          ready_url=f"http://127.0.0.1:{port}/readyz")


def main() -> int:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    triton = LocalTriton(TritonSettings())
    preprocess_port = 8081
    services = [_service("preprocess", "preprocess", preprocess_port,
                         {"PREPROCESS_TRITON_URL": triton.grpc_url, "PREPROCESS_PORT": str(preprocess_port)})]
    started: list = []
    try:
        print("stack: starting Triton (log var/logs/triton.log)", flush=True)
        triton.start(log_path=LOG_DIR / "triton.log")
        started.append(triton)
        for service in services:
            print(f"stack: starting {service.name} (log {service.log_path})", flush=True)
            service.start(timeout_s=60)
            started.append(service)
        print(f"stack: ready\n  preprocess  http://127.0.0.1:{preprocess_port}/docs\n"
              f"  triton      {triton.http_url} (gRPC {triton.grpc_url})\nCtrl-C stops everything.", flush=True)
        while not stop.wait(1.0):
            dead = [p for p in started if not p.alive()]
            if dead:
                print(f"stack: {', '.join(getattr(p, 'name', 'triton') for p in dead)} exited; stopping", file=sys.stderr)
                return 1
        return 0
    except (TritonError, ProcessError) as exc:
        print(f"stack: {exc}", file=sys.stderr)
        return 1
    finally:
        for part in reversed(started):
            part.stop()
        print("stack: stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
