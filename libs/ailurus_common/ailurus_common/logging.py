"""Structured JSON logs with the service name, the current request id and, while a span is
recorded, its trace and span ids on every line (a log line leads to its trace)."""

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from ailurus_common.request_context import current_request_id
from ailurus_common.telemetry import current_ids


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.request_id = current_request_id()
        record.trace_id, record.span_id = current_ids()
        return True


def configure_logging(service: str, *, level: str = "INFO", json_lines: bool = True) -> None:
    """Route every logger (uvicorn's included) to one stderr handler."""
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(request_id)s %(trace_id)s %(span_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        ))
    else:
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s [%(service)s %(request_id)s] %(name)s: %(message)s"))
    handler.addFilter(_ContextFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
