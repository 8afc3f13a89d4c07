"""Tracing configuration from the standard variables, the attribute allow-list at set time
and at export, and no cost (no provider, nothing recorded) when it is off."""

import os

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import ValidationError

from ailurus_common import telemetry
from ailurus_common.telemetry import AllowListExporter, TracingSettings, configure_tracing, span_attributes


def settings(monkeypatch, **env) -> TracingSettings:
    for key in [k for k in os.environ if k.startswith("OTEL_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return TracingSettings()


def test_tracing_is_off_without_an_exporter_and_records_nothing(monkeypatch):
    monkeypatch.setattr(telemetry, "_installed", None)
    tracing = configure_tracing("gateway", settings(monkeypatch))
    assert not tracing.enabled
    with telemetry.tracer("t").start_as_current_span("work") as span:
        assert not span.is_recording()
        assert telemetry.current_ids() == (None, None)
        assert "traceparent" not in telemetry.inject_context({})


def test_exporter_names_are_checked(monkeypatch):
    assert settings(monkeypatch, OTEL_TRACES_EXPORTER="otlp, console").exporters == {"otlp", "console"}
    assert settings(monkeypatch, OTEL_TRACES_EXPORTER="none").exporters == frozenset()
    with pytest.raises(ValidationError, match="unknown OTEL_TRACES_EXPORTER"):
        settings(monkeypatch, OTEL_TRACES_EXPORTER="jaeger")


def test_otlp_over_grpc_is_refused_at_start(monkeypatch):
    monkeypatch.setattr(telemetry, "_installed", None)
    with pytest.raises(ValueError, match="not supported"):
        configure_tracing("gateway", settings(monkeypatch, OTEL_TRACES_EXPORTER="otlp",
                                              OTEL_EXPORTER_OTLP_PROTOCOL="grpc"))


def test_azure_monitor_needs_its_connection_string(monkeypatch):
    monkeypatch.setattr(telemetry, "_installed", None)
    with pytest.raises(ValueError, match="APPLICATIONINSIGHTS_CONNECTION_STRING"):
        configure_tracing("gateway", settings(monkeypatch, OTEL_TRACES_EXPORTER="azure_monitor"))


def test_otlp_traces_url_follows_the_standard_variables(monkeypatch):
    assert settings(monkeypatch).otlp_traces_url is None
    assert settings(monkeypatch, OTEL_TRACES_EXPORTER="otlp").otlp_traces_url == "http://localhost:4318/v1/traces"
    assert settings(monkeypatch, OTEL_TRACES_EXPORTER="otlp", OTEL_EXPORTER_OTLP_ENDPOINT="http://c:4318/"
                    ).otlp_traces_url == "http://c:4318/v1/traces"
    assert settings(monkeypatch, OTEL_TRACES_EXPORTER="otlp", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://t/x"
                    ).otlp_traces_url == "http://t/x"


def test_span_attributes_take_only_allowed_names():
    assert span_attributes(trap_id="t1", media_id=None, files=3) == {"ailurus.trap_id": "t1", "ailurus.files": 3}
    for name in ("latitude", "gps", "notes", "token"):
        with pytest.raises(ValueError, match="allow-list"):
            span_attributes(**{name: 1})


def test_exported_spans_keep_only_allowed_attributes():
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(AllowListExporter(memory)))
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("GET /api/v1/map/heatmap", kind=trace.SpanKind.SERVER, attributes={
            "http.route": "/api/v1/map/heatmap", "http.request.method": "GET", "http.response.status_code": 200,
            "url.query": "bbox=27.1,88.0,27.2,88.1", "client.address": "10.1.2.3", "user_agent.original": "x",
            "ailurus.trap_id": "t1"}) as span:
        try:
            raise ValueError("lat 27.123 lon 88.456")
        except ValueError as exc:
            span.record_exception(exc)
    (exported,) = memory.get_finished_spans()
    assert dict(exported.attributes) == {"http.route": "/api/v1/map/heatmap", "http.request.method": "GET",
                                         "http.response.status_code": 200, "ailurus.trap_id": "t1"}
    event = dict(exported.events[0].attributes)
    assert event["exception.type"] == "ValueError"
    assert "exception.message" not in event and "exception.stacktrace" not in event
    assert exported.context == span.get_span_context()
