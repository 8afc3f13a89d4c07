"""A token bucket: at most ``rate_per_s`` acquisitions a second on average, ``burst`` at
once after a quiet spell. Re-classifying the archive takes its classify calls through one,
so a job of 100k media never takes the classifier that interactive uploads share."""

import asyncio
import time
from collections.abc import Awaitable, Callable

_ROUNDING = 1e-9


class TokenBucket:
    """``acquire`` waits until a token is there. ``clock`` and ``sleep`` are injectable so
    the arithmetic is tested on a clock of the test's own, not on wall time."""

    def __init__(self, rate_per_s: float, *, burst: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be positive and burst at least 1")
        self.rate_per_s, self.burst = rate_per_s, burst
        self._clock, self._sleep = clock, sleep
        self._tokens = burst
        self._last = clock()
        # One waiter at a time: tokens go out in the order they were asked for.
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate_per_s)
        self._last = now

    async def acquire(self) -> None:
        """Take one token, waiting for it if there is none."""
        async with self._lock:
            self._refill()
            # With an epsilon: a refill after sleeping exactly the deficit may land a rounding
            # error short of 1, and waiting for that error would spin (as fast as the clock allows).
            while self._tokens < 1 - _ROUNDING:
                await self._sleep((1 - self._tokens) / self.rate_per_s)
                self._refill()
            self._tokens = max(0.0, self._tokens - 1)
