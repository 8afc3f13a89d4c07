"""Brakes at the edge: the password-guessing brake for local sign-in (``LoginThrottle``:
after too many failures for one user name, or from one client address, within a window,
further attempts get 429 until the oldest failure leaves the window) and the per-caller
request rate limit of the whole API (``RateLimiter``). In process memory: each gateway
replica brakes on its own."""

import math
import time
from collections import OrderedDict, deque

from ailurus_common.auth import Principal
from ailurus_common.errors import AilurusError, ErrorCode


class TooManyAttempts(AilurusError):
    status_code = 429
    code = ErrorCode.TOO_MANY_ATTEMPTS


class LoginThrottle:
    def __init__(self, *, max_failures: int, window_s: float, per_client_factor: int = 4,
                 max_keys: int = 10_000) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.per_client_factor = per_client_factor
        self.max_keys = max_keys
        self._failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()
        # Attempts being checked now count against the limit: 30 parallel guesses on one name
        # must not all be checked because none has failed yet.
        self._in_flight: dict[tuple[str, str], int] = {}

    def _limit(self, key: tuple[str, str]) -> int:
        return self.max_failures * (self.per_client_factor if key[0] == "client" else 1)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        failures = self._failures.get(key, deque())
        while failures and now - failures[0] >= self.window_s:
            failures.popleft()
        return failures

    @staticmethod
    def _keys(username: str, client: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("user", username.lower()), ("client", client)

    def begin(self, username: str, client: str) -> None:
        """Start an attempt, or raise ``TooManyAttempts`` (with Retry-After) while either key
        has its limit of failures and attempts under way. Check and count are one step (no
        await between them), so parallel attempts cannot all slip in. Pair with ``end``."""
        now = time.monotonic()
        keys = self._keys(username, client)
        for key in keys:
            failures = self._recent(key, now)
            if len(failures) + self._in_flight.get(key, 0) >= self._limit(key):
                wait_s = max(1, int(self.window_s - (now - failures[0])) + 1) if failures else 1
                raise TooManyAttempts("too many failed sign-ins; try again later", retry_after_s=wait_s)
        for key in keys:
            self._in_flight[key] = self._in_flight.get(key, 0) + 1

    def end(self, username: str, client: str, *, succeeded: bool) -> None:
        """Finish an attempt ``begin`` let through."""
        for key in self._keys(username, client):
            left = self._in_flight.get(key, 1) - 1
            if left > 0:
                self._in_flight[key] = left
            else:
                self._in_flight.pop(key, None)
        if succeeded:
            self._failures.pop(("user", username.lower()), None)
        else:
            self._failed(username, client)

    def _failed(self, username: str, client: str) -> None:
        now = time.monotonic()
        for key in self._keys(username, client):
            failures = self._recent(key, now)
            failures.append(now)
            self._failures[key] = failures
            self._failures.move_to_end(key)
        while len(self._failures) > self.max_keys:  # bounded memory under a spray of names
            self._failures.popitem(last=False)


class RateLimited(AilurusError):
    status_code = 429
    code = ErrorCode.RATE_LIMITED


class RateLimiter:
    """Per-caller token bucket: ``burst`` requests at once, refilled at ``per_minute``.

    The same limit API Management's ``rate-limit-by-key`` applies in front (apim/), so a
    partner meets it locally too. A request takes one token whatever it carries (an upload
    of a thousand files is one request). In process memory like ``LoginThrottle``: each
    replica limits on its own, so behind N replicas a caller gets up to N times the rate.
    """

    def __init__(self, *, per_minute: float, burst: int, max_keys: int = 100_000) -> None:
        self.rate_per_s = per_minute / 60.0
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)

    def take(self, key: str) -> None:
        """Spend one token of ``key``'s bucket, or raise ``RateLimited`` with the whole seconds
        until one is back (``Retry-After``). Check and spend are one step (no await)."""
        now = time.monotonic()
        tokens, at = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate_per_s)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            wait_s = max(1, math.ceil((1.0 - tokens) / self.rate_per_s))
            raise RateLimited(f"rate limit of {self.rate_per_s * 60:g} requests per minute reached; "
                              f"retry after {wait_s} s", retry_after_s=wait_s)
        self._buckets[key] = (tokens - 1.0, now)
        while len(self._buckets) > self.max_keys:  # least recently seen first: a full bucket anyway
            self._buckets.popitem(last=False)


def caller_key(principal: Principal | None, client_address: str) -> str:
    """Whose bucket a request spends: a partner's app id for app-only tokens, the user for
    signed-in people, and the client address (the TCP peer, or what a trusted proxy says)
    for requests without a valid token: an unverified token's claims are never believed."""
    if principal is not None and principal.app_only and principal.client_id:
        return f"app:{principal.client_id}"
    if principal is not None:
        return f"user:{principal.subject}"
    return f"address:{client_address}"
