"""Capture time -> UTC (trap time zone, camera clock offset) and burst grouping."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from ailurus_common.records import Deployment


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


class Burstable(Protocol):
    """A frame as burst grouping reads it (a ``Media`` or a store's light ``Frame``)."""

    @property
    def id(self) -> str: ...

    @property
    def timestamp(self) -> datetime: ...

    @property
    def sequence_id(self) -> str | None: ...


def regroup(frames: Sequence[Burstable], gap_s: float) -> dict[str, str]:
    """Burst sequences over frames of one trap: a new sequence starts where two consecutive
    frames (oldest first) are more than ``gap_s`` apart. A burst keeps the sequence id its
    stored frames already carry (the earliest one's), so recording new frames into a stored
    burst rewrites none of the old ones; a burst of new frames only is named after its first
    frame. Returns media id -> sequence id."""
    bursts: list[list[Burstable]] = []
    previous = None
    for frame in sorted(frames, key=lambda m: (m.timestamp, m.id)):
        if previous is None or (frame.timestamp - previous).total_seconds() > gap_s:
            bursts.append([])
        bursts[-1].append(frame)
        previous = frame.timestamp
    sequences: dict[str, str] = {}
    for burst in bursts:
        name = next((f.sequence_id for f in burst if f.sequence_id), burst[0].id)
        sequences.update((f.id, name) for f in burst)
    return sequences
