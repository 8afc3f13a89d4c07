"""Tracing with OpenTelemetry, configured the standard way (the ``OTEL_*`` variables).

``OTEL_TRACES_EXPORTER`` names the exporters, comma separated: ``otlp`` (OTLP over
HTTP/protobuf; endpoint and headers from ``OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`` and
friends, read by the exporter itself), ``azure_monitor`` (Application Insights, from
``APPLICATIONINSIGHTS_CONNECTION_STRING``), ``console``, or ``none``. Unlike the SDK's own
default (``otlp``) ours is ``none``: a laptop runs without a collector, and with no exporter
no tracer provider is installed at all, so every span is the API's no-op (no cost beyond a
function call). The sampler is the SDK's, from ``OTEL_TRACES_SAMPLER``/``_ARG``, parent-based
so that one upload is sampled (or not) as a whole across the services.

Spans never carry coordinates, GPS or secrets, by construction: our own attributes go
through :func:`span_attributes` (names in ``SAFE_ATTRIBUTES`` only), and every exporter is
wrapped in :class:`AllowListExporter`, which sends only allowed attribute names, whatever an
instrumentation library set (a URL's query string can hold a bounding box; a client address
is personal data).
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter, SpanExportResult
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

EXPORTERS = frozenset({"otlp", "azure_monitor", "console", "none"})
# Only http/protobuf is shipped (no gRPC exporter): refusing the others at start beats
# exporting nothing in silence.
OTLP_PROTOCOLS = frozenset({"http/protobuf"})
# What a span may say about the work. Positions, GPS, notes, names and tokens are not here
# and so can never be set (an allow-list, as for the API's answers).
SAFE_ATTRIBUTES = frozenset({
    "ailurus.trap_id", "ailurus.media_id", "ailurus.upload_id", "ailurus.file_index", "ailurus.files",
    "ailurus.outcome", "ailurus.error_code", "ailurus.group", "ailurus.model_name", "ailurus.model_version",
    "ailurus.bytes", "ailurus.width_px", "ailurus.height_px", "ailurus.decode_scale", "ailurus.attempt",
    "ailurus.telemetry.kind", "ailurus.telemetry.page", "ailurus.telemetry.duration_ms",
    "ailurus.telemetry.message",
})
# What the instrumentation libraries may report: method, route template, status, protocol.
INSTRUMENTATION_ATTRIBUTES = frozenset({
    "http.request.method", "http.method", "http.route", "http.response.status_code", "http.status_code",
    "http.scheme", "url.scheme", "network.protocol.version", "http.flavor", "error.type",
    "rpc.system", "rpc.service", "rpc.method", "rpc.grpc.status_code",
})
EVENT_ATTRIBUTES = frozenset({"exception.type", "exception.escaped"})
# The routes a probe or a scraper calls many times a minute: never traced.
EXCLUDED_URLS = "healthz,readyz,metrics"


class TracingSettings(BaseSettings):
    """The standard OpenTelemetry variables this project interprets itself."""

    model_config = SettingsConfigDict(env_prefix="OTEL_", extra="ignore", frozen=True)

    traces_exporter: str = "none"
    service_name: str | None = None
    exporter_otlp_protocol: str = "http/protobuf"
    exporter_otlp_traces_protocol: str | None = None
    exporter_otlp_endpoint: str = "http://localhost:4318"
    exporter_otlp_traces_endpoint: str | None = None
    # Application Insights' own variable name, as Azure documents it (no OTEL_ prefix).
    applicationinsights_connection_string: SecretStr | None = Field(
        default=None, validation_alias="APPLICATIONINSIGHTS_CONNECTION_STRING")

    @field_validator("traces_exporter")
    @classmethod
    def _known_exporters(cls, value: str) -> str:
        names = {part.strip() for part in value.split(",") if part.strip()} or {"none"}
        if unknown := names - EXPORTERS:
            raise ValueError(f"unknown OTEL_TRACES_EXPORTER {sorted(unknown)}: use {sorted(EXPORTERS)}")
        return ",".join(sorted(names))

    @property
    def exporters(self) -> frozenset[str]:
        return frozenset(self.traces_exporter.split(",")) - {"none"}

    @property
    def otlp_protocol(self) -> str:
        return self.exporter_otlp_traces_protocol or self.exporter_otlp_protocol

    @property
    def otlp_traces_url(self) -> str | None:
        """Where OTLP/HTTP traces go (as the SDK's exporter computes it), or None when the
        otlp exporter is off: for a process that is not ours (Triton)."""
        if "otlp" not in self.exporters:
            return None
        return self.exporter_otlp_traces_endpoint or f"{self.exporter_otlp_endpoint.rstrip('/')}/v1/traces"


@dataclass
class Tracing:
    """What :func:`configure_tracing` set up; ``enabled`` is False when nothing exports."""

    service: str
    provider: TracerProvider | None = None
    exporters: tuple[str, ...] = field(default_factory=tuple)

    @property
    def enabled(self) -> bool:
        return self.provider is not None

    def flush(self) -> None:
        """Send what is buffered (at the end of a lifespan; the SDK shuts the exporters down
        when the process exits)."""
        if self.provider is not None:
            self.provider.force_flush()


def _allowed(attributes: Any, names: frozenset[str]) -> dict[str, Any]:
    return {key: value for key, value in (attributes or {}).items() if key in names}


class AllowListExporter(SpanExporter):
    """Wraps an exporter: each span leaves with only the allowed attribute names (and event
    attributes without messages, which can quote input)."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner

    def export(self, spans: Any) -> SpanExportResult:
        allowed = SAFE_ATTRIBUTES | INSTRUMENTATION_ATTRIBUTES
        return self.inner.export([ReadableSpan(
            name=span.name, context=span.context, parent=span.parent, resource=span.resource,
            attributes=_allowed(span.attributes, allowed),
            events=[Event(event.name, _allowed(event.attributes, EVENT_ATTRIBUTES), event.timestamp)
                    for event in span.events],
            links=span.links, kind=span.kind, status=span.status, start_time=span.start_time,
            end_time=span.end_time, instrumentation_scope=span.instrumentation_scope) for span in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def _exporter(name: str, settings: TracingSettings) -> SpanExporter:
    if name == "otlp":
        if settings.otlp_protocol not in OTLP_PROTOCOLS:
            raise ValueError(f"OTEL_EXPORTER_OTLP_PROTOCOL={settings.otlp_protocol!r} is not supported:"
                             f" use {sorted(OTLP_PROTOCOLS)}")
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()  # endpoint, headers, timeout, compression: from OTEL_EXPORTER_OTLP_*
    if name == "azure_monitor":
        if settings.applicationinsights_connection_string is None:
            raise ValueError("OTEL_TRACES_EXPORTER=azure_monitor needs APPLICATIONINSIGHTS_CONNECTION_STRING")
        from azure.monitor.opentelemetry.exporter import AzureMonitorTraceExporter

        return AzureMonitorTraceExporter(
            connection_string=settings.applicationinsights_connection_string.get_secret_value())
    return ConsoleSpanExporter()


_installed: Tracing | None = None


def configure_tracing(service: str, settings: TracingSettings | None = None,
                      *, extra_exporters: Iterable[SpanExporter] = ()) -> Tracing:
    """Install the process's tracer provider from the environment. With no exporter (the
    default) nothing is installed and tracing costs nothing. ``extra_exporters``: for tests
    (an in-memory exporter)."""
    global _installed
    if _installed is not None:  # one provider per process (the SDK refuses a second)
        return Tracing(service, _installed.provider, _installed.exporters)
    settings = settings or TracingSettings()
    exporters = [_exporter(name, settings) for name in sorted(settings.exporters)]
    exporters.extend(extra_exporters)
    if not exporters:
        return Tracing(service)
    # The SDK reads OTEL_TRACES_SAMPLER(_ARG) and OTEL_RESOURCE_ATTRIBUTES itself.
    provider = TracerProvider(resource=Resource.create({"service.name": settings.service_name or service}))
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(AllowListExporter(exporter)))
    trace.set_tracer_provider(provider)
    log.info("tracing on: exporters %s", ",".join(sorted(settings.exporters)) or "in-process")
    _installed = Tracing(service, provider, tuple(sorted(settings.exporters)))
    return _installed


def instrument_app(app: Any, tracing: Tracing) -> None:
    """Server spans for every request of a FastAPI app (continuing the caller's
    ``traceparent``), except probes and scrapes; nothing at all when tracing is off."""
    if not tracing.enabled:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, tracer_provider=tracing.provider, excluded_urls=EXCLUDED_URLS,
                                       exclude_spans=["receive", "send"])


def span_attributes(**values: Any) -> dict[str, Any]:
    """Span attributes from ``ailurus.<name>=value`` keywords, only the allowed names, no
    ``None`` values. Raises ``ValueError`` for a name that is not allowed (a test finds it)."""
    out = {}
    for name, value in values.items():
        key = f"ailurus.{name}"
        if key not in SAFE_ATTRIBUTES:
            raise ValueError(f"span attribute {key!r} is not in the allow-list")
        if value is not None:
            out[key] = value if isinstance(value, (bool, int, float, str)) else str(value)
    return out


def tracer(name: str) -> trace.Tracer:
    """The tracer of a module (the no-op one while tracing is off)."""
    return trace.get_tracer(name)


def inject_context(headers: dict[str, str]) -> dict[str, str]:
    """Add the current trace context (``traceparent``) to outgoing headers."""
    propagate.inject(headers)
    return headers


def current_ids() -> tuple[str | None, str | None]:
    """The current trace and span id as hex, or ``(None, None)`` outside a recorded span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None, None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
