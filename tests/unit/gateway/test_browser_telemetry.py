"""What the dashboard may report: route names and figures, error messages without numbers."""

import pytest
from pydantic import ValidationError

from gateway.browser_telemetry import mask_numbers
from gateway.schemas import BrowserTelemetry


def test_mask_numbers_hides_positions_and_ids():
    assert mask_numbers("bad lat 27.1234, lon 88,5 at trap 12") == "bad lat #, lon # at trap #"
    assert mask_numbers("no numbers") == "no numbers"


@pytest.mark.parametrize("event", [
    {"kind": "page_load", "page": "map?bbox=27.1,88.0"},  # a query is not a page
    {"kind": "page_load", "page": "map", "url": "http://x/#/map"},  # no field beyond the allow-list
    {"kind": "unknown", "page": "map"},
    {"kind": "upload", "page": "upload", "duration_ms": -1},
    {"kind": "error", "page": "map", "message": "x" * 301},
])
def test_browser_event_outside_the_allow_list_is_refused(event):
    with pytest.raises(ValidationError):
        BrowserTelemetry(events=[event])


def test_browser_telemetry_is_bounded():
    with pytest.raises(ValidationError):
        BrowserTelemetry(events=[{"kind": "page_load", "page": "map"}] * 51)
    with pytest.raises(ValidationError):
        BrowserTelemetry(events=[])
