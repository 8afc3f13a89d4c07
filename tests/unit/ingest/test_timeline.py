from datetime import UTC, datetime, timedelta

from ailurus_common.records import Deployment, Media
from ingest.timeline import capture_time_utc, regroup


def trap(**overrides) -> Deployment:
    return Deployment(**{"id": "t1", "name": "t1", "latitude": 27.0, "longitude": 88.0, **overrides})


def frame(n: int, seconds: float) -> Media:
    return Media(id=f"{n:064x}", deployment_id="t1", file_name=f"{n}.jpg", media_type="image/jpeg", size_bytes=1,
                 blob_original="uploads/x", uploaded_by="u",
                 timestamp=datetime(2024, 5, 1, 12, 0, tzinfo=UTC) + timedelta(seconds=seconds))


def test_capture_time_local_camera_clock_uses_trap_timezone():
    assert capture_time_utc("2021-08-09T03:55:47", trap(timezone="Asia/Kathmandu")) == \
        datetime(2021, 8, 8, 22, 10, 47, tzinfo=UTC)


def test_capture_time_explicit_offset_wins_over_trap_timezone():
    assert capture_time_utc("2021-04-11T15:47:53-05:00", trap(timezone="Asia/Kathmandu")) == \
        datetime(2021, 4, 11, 20, 47, 53, tzinfo=UTC)


def test_capture_time_wrong_camera_clock_is_corrected():
    assert capture_time_utc("2020-01-01T00:00:00", trap(clock_offset_s=3600)) == datetime(2020, 1, 1, 1, tzinfo=UTC)


def test_capture_time_daylight_saving_zone_resolves():
    assert capture_time_utc("2024-07-01T12:00:00", trap(timezone="Europe/Berlin")) == datetime(2024, 7, 1, 10, tzinfo=UTC)


def test_capture_time_missing_or_garbage_is_none():
    assert capture_time_utc(None, trap()) is None
    assert capture_time_utc("not a time", trap()) is None


def test_regroup_splits_bursts_on_gap():
    frames = [frame(1, 0), frame(2, 2), frame(3, 50), frame(4, 200), frame(5, 205)]
    sequences = regroup(frames, gap_s=60)
    assert len({sequences[f.id] for f in frames[:3]}) == 1
    assert sequences[frames[3].id] == sequences[frames[4].id] == frames[3].id
    assert sequences[frames[0].id] == frames[0].id


def test_regroup_order_independent():
    frames = [frame(1, 0), frame(2, 2), frame(3, 50)]
    assert regroup(frames, 60) == regroup(list(reversed(frames)), 60)


def test_regroup_keeps_a_stored_burst_name_when_earlier_frames_join():
    stored = [frame(5, 10).model_copy(update={"sequence_id": "burst-x"}),
              frame(6, 20).model_copy(update={"sequence_id": "burst-x"})]
    sequences = regroup([*stored, frame(1, 10), frame(2, 0)], gap_s=60)  # same time, smaller id; earlier
    assert set(sequences.values()) == {"burst-x"}


def test_regroup_merged_bursts_take_the_earliest_stored_name():
    first = frame(1, 0).model_copy(update={"sequence_id": "a"})
    second = frame(3, 100).model_copy(update={"sequence_id": "b"})
    sequences = regroup([first, second, frame(2, 50)], gap_s=60)
    assert set(sequences.values()) == {"a"}
