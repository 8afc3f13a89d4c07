"""Password-guessing brake for local sign-in: after too many failures for one user name
(or from one client address) within a window, further attempts get 429 until the oldest
failure leaves the window. In process memory: each gateway replica brakes on its own."""

import time
from collections import OrderedDict, deque

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
