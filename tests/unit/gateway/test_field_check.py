"""The field check's answers (gateway.api.routes.fieldcheck.check_point): far or near from the
exact trap position for exact callers and from its grid cell for coarse ones (never more than
they may see), whole km only when far, the active period in the trap's own time."""

from datetime import UTC, datetime

import pytest

from ailurus_common.geo import haversine_m
from ailurus_common.records import Deployment
from gateway.api.routes.fieldcheck import check_point
from gateway.privacy import PrivacyPolicy
from gateway.schemas import FieldCheckPoint, FieldCheckRequest
from gateway.views import CoarseView, ExactView

EXACT = ExactView()
COARSE = CoarseView(PrivacyPolicy(cell_deg=0.1, min_count=3, sensitive_groups=frozenset({"red_panda"})))
TRAP = Deployment(id="ridge", name="Ridge", latitude=27.7, longitude=85.3, timezone="Asia/Kathmandu",
                  start=datetime(2026, 3, 1, tzinfo=UTC), end=datetime(2026, 6, 1, tzinfo=UTC))


def test_haversine_one_degree_of_latitude_is_111_km():
    assert haversine_m(27.0, 85.0, 28.0, 85.0) == pytest.approx(111_195, rel=1e-3)
    assert haversine_m(27.7, 85.3, 27.7, 85.3) == 0


def test_photo_within_distance_is_near_with_no_distance():
    result = check_point(FieldCheckPoint(latitude=27.7045, longitude=85.3), TRAP, 1000, EXACT)  # ~500 m north
    assert (result.far, result.distance_km) == (False, None)


def test_photo_far_gives_whole_km_only():
    result = check_point(FieldCheckPoint(latitude=27.75, longitude=85.3), TRAP, 1000, EXACT)  # ~5.6 km north
    assert (result.far, result.distance_km) == (True, 6)
    assert check_point(FieldCheckPoint(latitude=27.7095, longitude=85.3), TRAP, 1000, EXACT).distance_km == 1


def test_no_gps_and_no_time_answer_null():
    result = check_point(FieldCheckPoint(), TRAP, 1000, EXACT)
    assert (result.far, result.outside_active_period) == (None, None)


def test_active_period_uses_trap_zone_for_camera_time():
    # 2026-03-01 05:00 in Kathmandu (+05:45) is 2026-02-28 23:15 UTC: before the start.
    assert check_point(FieldCheckPoint(taken_at=datetime(2026, 3, 1, 5, 0)), TRAP, 1000, EXACT).outside_active_period
    assert not check_point(FieldCheckPoint(taken_at=datetime(2026, 3, 1, 6, 0)), TRAP, 1000, EXACT).outside_active_period
    assert check_point(FieldCheckPoint(taken_at=datetime(2026, 6, 2, tzinfo=UTC)), TRAP, 1000, EXACT).outside_active_period
    no_period = TRAP.model_copy(update={"start": None, "end": None})
    assert check_point(FieldCheckPoint(taken_at=datetime(2020, 1, 1)), no_period, 1000, EXACT).outside_active_period is None


@pytest.mark.parametrize("body", [{"points": []}, {"points": [{}] * 51}, {"points": [{"latitude": 91}]},
                                  {"points": [{"longitude": -181}]}, {"points": [{"latitude": 1, "extra": 2}]}])
def test_request_validated(body):
    with pytest.raises(ValueError):
        FieldCheckRequest.model_validate(body)


def test_coarse_caller_is_answered_from_the_trap_cell_only():
    trap = TRAP.model_copy(update={"latitude": 27.7001, "longitude": 85.3001})  # cell centre (27.75, 85.35)
    near_but_other_cell = check_point(FieldCheckPoint(latitude=27.699, longitude=85.3), trap, 1000, COARSE)
    assert near_but_other_cell.far is True and near_but_other_cell.distance_km == 8  # to the cell centre
    same_cell_far_away = check_point(FieldCheckPoint(latitude=27.79, longitude=85.39), trap, 1000, COARSE)
    assert (same_cell_far_away.far, same_cell_far_away.distance_km) == (False, None)


def test_coarse_answers_cannot_tell_two_traps_of_one_cell_apart():
    """No probing pins a trap down: for a coarse caller every answer is a function of the
    point and the trap's cell, so two traps in one cell answer every point alike."""
    one = TRAP.model_copy(update={"latitude": 27.7001, "longitude": 85.3001})
    other = TRAP.model_copy(update={"latitude": 27.7999, "longitude": 85.3999})
    for n in range(400):
        point = FieldCheckPoint(latitude=27.6 + (n % 20) * 0.015, longitude=85.2 + (n // 20) * 0.015)
        assert check_point(point, one, 1000, COARSE) == check_point(point, other, 1000, COARSE)
    assert check_point(FieldCheckPoint(latitude=27.7001, longitude=85.3001), other, 1000, EXACT).far is True
