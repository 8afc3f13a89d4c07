import pytest

from gateway.throttle import LoginThrottle, TooManyAttempts


def test_throttle_blocks_user_after_max_failures():
    throttle = LoginThrottle(max_failures=3, window_s=60)
    for _ in range(3):
        throttle.check("ada", "10.0.0.1")
        throttle.failed("ada", "10.0.0.1")
    with pytest.raises(TooManyAttempts) as info:
        throttle.check("ADA", "10.0.0.2")  # user names compare case-insensitively
    assert info.value.retry_after_s >= 1


def test_throttle_blocks_client_spraying_many_names():
    throttle = LoginThrottle(max_failures=2, window_s=60, per_client_factor=3)
    for n in range(6):
        throttle.failed(f"user{n}", "10.0.0.9")
    with pytest.raises(TooManyAttempts):
        throttle.check("fresh-name", "10.0.0.9")
    throttle.check("fresh-name", "10.0.0.10")  # another address is not blocked


def test_throttle_success_clears_user_failures():
    throttle = LoginThrottle(max_failures=2, window_s=60)
    throttle.failed("ada", "a")
    throttle.succeeded("ada")
    throttle.failed("ada", "b")
    throttle.check("ada", "c")  # one failure since the success: under the limit of 2, no raise


def test_throttle_window_expires(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr("gateway.throttle.time.monotonic", lambda: now[0])
    throttle = LoginThrottle(max_failures=1, window_s=10)
    throttle.failed("ada", "a")
    with pytest.raises(TooManyAttempts):
        throttle.check("ada", "a")
    now[0] += 10
    throttle.check("ada", "a")
