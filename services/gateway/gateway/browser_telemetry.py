"""The dashboard's page-load and upload timings and its JavaScript errors, turned into spans
of the gateway's tracer (the same exporter as every other span). Each event is a span that
ended when it arrived and lasted what the browser measured."""

import re
import time

from opentelemetry.trace import SpanKind, Status, StatusCode

from ailurus_common.telemetry import span_attributes, tracer
from gateway.schemas import BrowserEvent, BrowserEventKind

_tracer = tracer(__name__)
# Digits can be a position, a count that names someone, an id: an error message keeps its words.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def mask_numbers(message: str) -> str:
    """The message with every number replaced by ``#``."""
    return _NUMBER.sub("#", message)


def record_browser_events(events: list[BrowserEvent]) -> None:
    """One ``browser.<kind>`` span per event (no-op spans while tracing is off)."""
    now_ns = time.time_ns()
    for event in events:
        start_ns = now_ns - int(event.duration_ms * 1e6)
        span = _tracer.start_span(f"browser.{event.kind.value}", kind=SpanKind.CLIENT, start_time=start_ns,
                                  attributes=span_attributes(
                                      **{"telemetry.kind": event.kind.value, "telemetry.page": event.page,
                                         "telemetry.duration_ms": event.duration_ms, "files": event.files,
                                         "telemetry.message": mask_numbers(event.message) if event.message else None}))
        if event.kind is BrowserEventKind.ERROR:
            span.set_status(Status(StatusCode.ERROR))
        span.end(end_time=now_ns)
