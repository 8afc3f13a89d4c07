"""The re-classification token bucket, on a clock of the test's own (no wall time): the
burst goes out at once, then one token per 1/rate seconds, in the order asked."""

import asyncio

import pytest

from worker.ratelimit import TokenBucket


class FakeClock:
    """Time that moves only when the bucket sleeps."""

    def __init__(self) -> None:
        self.now_s = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now_s

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now_s += seconds


async def test_token_bucket_lets_the_burst_through_then_paces_at_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(10.0, burst=3, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        await bucket.acquire()
    assert clock.slept == []  # the burst, without waiting
    for _ in range(5):
        await bucket.acquire()
    assert clock.now_s - 100.0 == pytest.approx(0.5)  # 5 more at 10/s


async def test_token_bucket_refills_while_idle_up_to_the_burst_only():
    clock = FakeClock()
    bucket = TokenBucket(2.0, burst=2, clock=clock, sleep=clock.sleep)
    await bucket.acquire()
    await bucket.acquire()
    clock.now_s += 60  # a long quiet spell refills 2, not 120
    for _ in range(3):
        await bucket.acquire()
    assert sum(clock.slept) == pytest.approx(0.5)


async def test_token_bucket_serves_concurrent_callers_at_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(4.0, clock=clock, sleep=clock.sleep)
    await asyncio.gather(*(bucket.acquire() for _ in range(9)))
    assert clock.now_s - 100.0 == pytest.approx(2.0)  # 1 at once, 8 more at 4/s


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (1.0, 0.5)])
def test_token_bucket_refuses_a_rate_or_burst_that_never_lets_anything_through(rate, burst):
    with pytest.raises(ValueError, match="rate_per_s"):
        TokenBucket(rate, burst=burst)


@pytest.mark.parametrize("rate", [10.0, 3.0, 7.3, 0.1])
def test_token_bucket_sleeps_once_per_token_whatever_the_rounding(rate):
    """A refill that lands a rounding error short of a whole token must not spin on it."""
    clock = FakeClock()
    bucket = TokenBucket(rate, burst=1, clock=clock, sleep=clock.sleep)

    async def take(count: int) -> None:
        for _ in range(count):
            await bucket.acquire()

    asyncio.run(take(50))
    assert len(clock.slept) == 49
    assert clock.now_s - 100.0 == pytest.approx(49 / rate)
