"""Capture time -> UTC (trap time zone, camera clock offset) and burst grouping."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ailurus_common.records import Deployment, Media


def capture_time_utc(captured_at_local: str | None, deployment: Deployment) -> datetime | None:
    """The true UTC capture time, or None when the file carries no usable time.

    Camera clocks write local wall time without an offset: the trap's time zone
    interprets it; a known-wrong clock is corrected by the trap's ``clock_offset_s``.
    """
    if not captured_at_local:
        return None
    try:
        moment = datetime.fromisoformat(captured_at_local)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(deployment.timezone))
    return (moment + timedelta(seconds=deployment.clock_offset_s)).astimezone(UTC)


def regroup(frames: list[Media], gap_s: float) -> dict[str, str]:
    """Burst sequences over frames of one trap, oldest first: a new sequence starts
    where two consecutive frames are more than ``gap_s`` apart; it is named after its
    first frame. Returns media id -> sequence id."""
    sequences: dict[str, str] = {}
    current, previous = "", None
    for frame in sorted(frames, key=lambda m: (m.timestamp, m.id)):
        if previous is None or (frame.timestamp - previous).total_seconds() > gap_s:
            current = frame.id
        sequences[frame.id] = current
        previous = frame.timestamp
    return sequences
