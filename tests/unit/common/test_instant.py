"""Date-times from outside, exactly as the OpenAPI states them (found by schemathesis): ISO
text only, every admitted value usable, and stored text that sorts like the times it holds."""

from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter, ValidationError

from ailurus_common.records import Instant, utc_text
from gateway.views import CoarseView

INSTANT = TypeAdapter(Instant)


@pytest.mark.parametrize("value", [0, 2.00001, "2.00001", "1700000000", " -5 ", "1e9", True])
def test_instant_refuses_numbers(value):
    with pytest.raises(ValidationError, match="not a number"):
        INSTANT.validate_python(value)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-05-01T12:00:00+05:45", datetime(2026, 5, 1, 6, 15, tzinfo=UTC)),
    ("2026-05-01T12:00:00", datetime(2026, 5, 1, 12, tzinfo=UTC)),  # naive: UTC
    ("0001-01-01T06:16:49+15:19", datetime.min.replace(tzinfo=UTC)),  # past the calendar's start
    ("9999-12-31T23:00:00-05:00", datetime.max.replace(tzinfo=UTC)),
])
def test_instant_is_aware_utc_and_never_overflows(text, expected):
    assert INSTANT.validate_python(text) == expected


def test_utc_text_pads_the_year_so_text_order_is_time_order():
    times = [datetime(65, 9, 21, tzinfo=UTC), datetime(999, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)]
    texts = [utc_text(t) for t in times]
    assert texts[0] == "0065-09-21T00:00:00.000000Z"
    assert sorted(texts) == texts


def test_months_of_an_early_window_are_padded():
    assert CoarseView.months(datetime(65, 9, 21, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)) == ("0065-09", "2025-12")
    assert CoarseView.months(None, datetime.min.replace(tzinfo=UTC)) == ("1970-01", "1970-01")
