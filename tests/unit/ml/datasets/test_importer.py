"""The import engine's own rules."""

from datetime import UTC, datetime, timedelta, timezone

from ailurus_ml.datasets.importer import capture_time


def test_capture_time_exif_first_offset_from_matching_source() -> None:
    local = datetime(2021, 4, 11, 20, 43, 9)
    aware = datetime(2021, 4, 11, 20, 43, 9, tzinfo=timezone(timedelta(hours=1)))
    other = datetime(2021, 4, 11, 19, 0, 0, tzinfo=UTC)
    assert capture_time(local, aware) == aware
    assert capture_time(local, other) == local  # the clocks disagree: EXIF wins, as written
    assert capture_time(None, other) == other
    assert capture_time(None, None) is None
