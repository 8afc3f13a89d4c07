"""A loopback OTLP/HTTP traces receiver (protobuf from the SDK's exporter, JSON from
Triton's): the spans every process exported, decoded. The tracing tests and ``make bench``
use it; ``python -m ailurus_tools.otlp_receiver`` prints each trace's span tree as it
arrives (the quickest way to see traces locally without a collector)."""

import gzip
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from ailurus_tools.processes import free_port


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_id: str | None
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]

    @property
    def duration_ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1e6


def _value(any_value) -> Any:
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in any_value.kvlist_value.values}
    return getattr(any_value, kind) if kind else None


def _decode(body: bytes) -> list[ReceivedSpan]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        resource = {kv.key: _value(kv.value) for kv in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                spans.append(ReceivedSpan(
                    service=str(resource.get("service.name", "")), name=span.name, trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(), parent_id=span.parent_span_id.hex() or None,
                    start_ns=span.start_time_unix_nano, end_ns=span.end_time_unix_nano,
                    attributes={kv.key: _value(kv.value) for kv in span.attributes}))
    return spans


def _json_value(value: dict) -> Any:
    for kind, item in value.items():
        if kind == "arrayValue":
            return [_json_value(v) for v in item.get("values", [])]
        if kind == "intValue":
            return int(item)
        return item
    return None


def _decode_json(body: bytes) -> list[ReceivedSpan]:
    """OTLP/HTTP JSON (what Triton's C++ exporter sends): ids are hex strings."""
    spans = []
    for resource_spans in json.loads(body).get("resourceSpans", []):
        resource = {kv["key"]: _json_value(kv["value"]) for kv in resource_spans.get("resource", {}).get("attributes", [])}
        for scope_spans in resource_spans.get("scopeSpans", []) + resource_spans.get("instrumentationLibrarySpans", []):
            for span in scope_spans.get("spans", []):
                spans.append(ReceivedSpan(
                    service=str(resource.get("service.name", "")), name=span["name"], trace_id=span["traceId"].lower(),
                    span_id=span["spanId"].lower(), parent_id=(span.get("parentSpanId") or "").lower() or None,
                    start_ns=int(span["startTimeUnixNano"]), end_ns=int(span["endTimeUnixNano"]),
                    attributes={kv["key"]: _json_value(kv["value"]) for kv in span.get("attributes", [])}))
    return spans


class OtlpReceiver:
    """Collects spans POSTed to ``/v1/traces``; ``endpoint`` is the OTLP base URL."""

    def __init__(self, *, port: int | None = None) -> None:
        self.port = port or free_port()
        self._spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()
        self.requests = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server hook
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                if self.headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                json_body = self.headers.get("content-type", "").startswith("application/json")
                spans = (_decode_json(body) if json_body else _decode(body)) \
                    if self.path.rstrip("/").endswith("/v1/traces") else []
                with receiver._lock:
                    receiver._spans.extend(spans)
                    receiver.requests += 1
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200 if spans or self.path.endswith("/v1/traces") else 404)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spans(self) -> list[ReceivedSpan]:
        with self._lock:
            return list(self._spans)

    def clear(self) -> None:
        with self._lock:
            self._spans.clear()

    def wait_for(self, predicate, *, timeout_s: float = 20.0) -> list[ReceivedSpan]:
        """Spans received so far, once ``predicate(spans)`` holds (or at the timeout)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            spans = self.spans()
            if predicate(spans):
                return spans
            time.sleep(0.1)
        return self.spans()

    def start(self) -> "OtlpReceiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextmanager
def otlp_receiver() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()


def tracing_env(endpoint: str, *, ratio: float = 1.0) -> dict[str, str]:
    """The standard variables that send a service's spans to ``endpoint`` over OTLP/HTTP, sampled at
    ``ratio`` (parent-based: a trace is kept or dropped whole)."""
    return {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": str(ratio), "OTEL_BSP_SCHEDULE_DELAY": "200"}


def span_tree(spans: list[ReceivedSpan], root: ReceivedSpan) -> list[tuple[int, ReceivedSpan]]:
    """``(depth, span)`` from ``root`` down, children in start order."""
    children: dict[str | None, list[ReceivedSpan]] = {}
    for span in spans:
        children.setdefault(span.parent_id, []).append(span)
    out: list[tuple[int, ReceivedSpan]] = []

    def walk(span: ReceivedSpan, depth: int) -> None:
        out.append((depth, span))
        for child in sorted(children.get(span.span_id, []), key=lambda s: s.start_ns):
            walk(child, depth + 1)

    walk(root, 0)
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Receive OTLP/HTTP traces on loopback and print them.")
    parser.add_argument("--port", type=int, default=4318)
    parser.add_argument("--settle-s", type=float, default=3.0, help="print a trace this long after its last span")
    args = parser.parse_args(argv)
    receiver = OtlpReceiver(port=args.port).start()
    print(f"OTLP/HTTP receiver on {receiver.endpoint}/v1/traces; set OTEL_TRACES_EXPORTER=otlp "
          f"OTEL_EXPORTER_OTLP_ENDPOINT={receiver.endpoint} before `make run`. Ctrl-C stops.", flush=True)
    printed: set[str] = set()
    try:
        while True:
            time.sleep(1)
            spans = receiver.spans()
            now_ns = time.time_ns()
            for root in [s for s in spans if s.parent_id is None and s.trace_id not in printed]:
                mine = [s for s in spans if s.trace_id == root.trace_id]
                if now_ns - max(s.end_ns for s in mine) < args.settle_s * 1e9:
                    continue
                printed.add(root.trace_id)
                print(f"trace {root.trace_id}")
                for depth, span in span_tree(mine, root):
                    print(f"  {'  ' * depth}{span.name} [{span.service}] {span.duration_ms:.1f} ms")
                print(flush=True)
    except KeyboardInterrupt:
        return 0
    finally:
        receiver.stop()


if __name__ == "__main__":
    raise SystemExit(main())
