"""``python -m ailurus_tools.triton``: serve the model repository until SIGTERM/Ctrl-C."""

import signal
import sys
import threading

from ailurus_tools.triton.server import LocalTriton, TritonError, TritonSettings


def main() -> int:
    triton = LocalTriton(TritonSettings())
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        triton.start()
    except TritonError as exc:
        print(f"triton: {exc}", file=sys.stderr)
        triton.stop()
        return 1
    print(f"triton: ready, models {triton.models}, gRPC {triton.grpc_url}, HTTP {triton.http_url}", flush=True)
    while not stop.is_set():
        if not triton.alive():
            print("triton: server exited", file=sys.stderr)
            return 1
        stop.wait(0.5)
    triton.stop()
    print("triton: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
