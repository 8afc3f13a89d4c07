"""Traces end to end: one upload of several files is one trace whose spans come from the
gateway, preprocess, ingest (and Triton, which joins through ``traceparent``), with every
parent link inside the trace, sent over OTLP/HTTP to a loopback receiver; log lines carry
the trace id; no span says where a trap is."""

import json
import re

import httpx
import pytest

from ailurus_tools.otlp_receiver import otlp_receiver, span_tree, tracing_env
from ailurus_tools.processes import free_port
from tests.support.auth import auth_headers
from tests.support.report import markdown_table
from tests.support.samples import sample
from tests.support.stacks import running_stack, stack_config
from tests.support.uploads import jpeg_variants

pytestmark = pytest.mark.slow
FILES = 3
LATITUDE, LONGITUDE = 27.123457, 88.654321
SERVICES = ("gateway", "preprocess", "ingest")


@pytest.fixture(scope="module")
def traced(tmp_path_factory):
    with otlp_receiver() as receiver:
        env = tracing_env(receiver.endpoint)
        config = stack_config(tmp_path_factory.mktemp("tracing"), backend="local",
                              triton_ports=(free_port(), free_port(), free_port()),
                              triton_trace_otlp_url=f"{receiver.endpoint}/v1/traces", triton_trace_export_delay_ms=200,
                              extra_env={name: env for name in SERVICES})
        with running_stack(config) as stack:
            yield stack, receiver


@pytest.fixture(scope="module")
def upload_trace(traced):
    stack, receiver = traced
    files = [("files", (name, data, "image/jpeg"))
             for name, data in jpeg_variants(sample("cameratrap/serengeti_burst_S1_D04_R6_PICT0020.JPG"), FILES,
                                             tag="traced")]
    with httpx.Client(base_url=stack.gateway_url, timeout=120, headers=auth_headers(stack)) as api:
        assert api.post("/api/v1/traps", json={"id": "traced", "name": "traced", "latitude": LATITUDE,
                                               "longitude": LONGITUDE}).status_code == 201
        receiver.clear()
        response = api.post("/api/v1/traps/traced/images", files=files)
        assert response.status_code == 200, response.text
        assert [r["status"] for r in response.json()["results"]] == ["classified"] * FILES
    upload_span = next(s for s in receiver.wait_for(
        lambda spans: any(s.service == "gateway" and s.parent_id is None and "images" in s.name for s in spans))
        if s.service == "gateway" and s.parent_id is None and "images" in s.name)
    trace_id = upload_span.trace_id

    def complete(spans):
        mine = [s for s in spans if s.trace_id == trace_id]
        names = {(s.service, s.name) for s in mine}
        return (sum(1 for s in mine if s.service == "preprocess" and s.name == "infer") == FILES
                and ("gateway", "record") in names and any(s.service == "ingest" for s in mine))

    spans = [s for s in receiver.wait_for(complete) if s.trace_id == trace_id]
    return upload_span, spans, receiver


def test_upload_of_several_files_is_one_trace_across_services(upload_trace):
    root, spans, _ = upload_trace
    services = {s.service for s in spans}
    assert set(SERVICES) <= services
    names = [(s.service, s.name) for s in spans]
    for stage in ("upload.file", "store_original", "classify", "record"):
        assert ("gateway", stage) in names, stage
    assert sum(1 for s in spans if (s.service, s.name) == ("gateway", "upload.file")) == FILES
    for stage in ("decode", "infer", "thumbnail"):
        assert sum(1 for s in spans if (s.service, s.name) == ("preprocess", stage)) == FILES, stage


def test_every_span_of_the_upload_has_its_parent_in_the_trace(upload_trace):
    root, spans, _ = upload_trace
    ids = {s.span_id for s in spans}
    orphans = [(s.service, s.name) for s in spans if s is not root and s.parent_id not in ids]
    assert not orphans
    by_id = {s.span_id: s for s in spans}
    # Each file's classify call is the parent of preprocess's server span for it.
    for span in spans:
        if span.service == "preprocess" and span.parent_id in by_id and by_id[span.parent_id].service == "gateway":
            assert by_id[span.parent_id].name == "classify" or by_id[span.parent_id].name.startswith("POST")


def test_spans_carry_trap_media_and_model_but_no_position(upload_trace):
    root, spans, receiver = upload_trace
    files = [s for s in spans if s.name == "upload.file"]
    assert all(s.attributes["ailurus.trap_id"] == "traced" and len(s.attributes["ailurus.media_id"]) == 64
               and s.attributes["ailurus.outcome"] == "classified" for s in files)
    infer = [s for s in spans if s.name == "infer"]
    assert all(s.attributes["ailurus.model_name"] == "ailurus_classifier" for s in infer)
    # Nothing anywhere (every span received, the trap's creation included) names a position.
    everything = json.dumps([s.attributes for s in receiver.spans()])
    for needle in (str(LATITUDE), str(LONGITUDE), "27.12", "88.65", "latitude", "longitude", "gps"):
        assert needle not in everything.lower()
    assert not any(key.startswith(("client.", "user_agent", "url.query", "http.target", "http.url"))
                   for s in receiver.spans() for key in s.attributes)


def test_triton_joins_the_trace(upload_trace):
    root, _, receiver = upload_trace
    spans = [s for s in receiver.wait_for(lambda spans: any(
        s.service == "triton" and s.trace_id == root.trace_id for s in spans), timeout_s=10)
        if s.trace_id == root.trace_id]
    triton = [s for s in spans if s.service == "triton"]
    assert triton, "Triton's own OpenTelemetry spans did not join the upload's trace"
    ids = {s.span_id for s in spans}
    infer = {s.span_id for s in spans if s.service == "preprocess" and s.name == "infer"}
    roots = [s for s in triton if s.parent_id not in {t.span_id for t in triton}]
    assert roots and all(s.parent_id in infer for s in roots)  # each Triton request under preprocess's infer
    assert all(s.parent_id in ids for s in triton)


def test_log_lines_carry_the_trace_id(upload_trace, traced):
    stack, _ = traced
    root, _, _ = upload_trace
    logs = "\n".join((stack.logs / f"{name}.log").read_text(errors="replace") for name in SERVICES
                     if (stack.logs / f"{name}.log").exists())
    traced_lines = [json.loads(line) for line in logs.splitlines()
                    if line.startswith("{") and root.trace_id in line]
    assert traced_lines, "no log line of the upload names its trace"
    assert all(re.fullmatch(r"[0-9a-f]{16}", line["span_id"]) for line in traced_lines)


def test_span_tree_of_one_upload_is_reported(upload_trace):
    root, _, receiver = upload_trace
    spans = [s for s in receiver.spans() if s.trace_id == root.trace_id]  # Triton's included, once they came
    with markdown_table("tracing.md", ["span", "service", "duration (ms)"]) as rows:
        for depth, span in span_tree(spans, root):
            rows.append(f"| {'· ' * depth}{span.name} | {span.service} | {span.duration_ms:.1f} |")
    assert len(rows) == len(spans)


def test_nothing_is_exported_when_tracing_is_off(triton, tmp_path):
    # The endpoint is set but no exporter is named (the default): no service sends anything.
    with otlp_receiver() as receiver:
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint}
        config = stack_config(tmp_path, backend="local", triton_grpc_url=triton.grpc_url,
                              extra_env={name: env for name in (*SERVICES, "worker", "notifier", "ml")})
        with running_stack(config) as stack, httpx.Client(base_url=stack.gateway_url, timeout=120,
                                                           headers=auth_headers(stack)) as api:
            assert api.post("/api/v1/traps", json={"id": "dark", "name": "dark", "latitude": LATITUDE,
                                                   "longitude": LONGITUDE}).status_code == 201
            files = [("files", (name, data, "image/jpeg")) for name, data in jpeg_variants(
                sample("cameratrap/serengeti_burst_S1_D04_R6_PICT0020.JPG"), 2, tag="dark")]
            assert api.post("/api/v1/traps/dark/images", files=files).status_code == 200
            assert api.get("/api/v1/ui/config").json()["telemetry"] is False
        # The services have stopped (their exporters would have flushed by now).
        assert receiver.requests == 0 and receiver.spans() == []
