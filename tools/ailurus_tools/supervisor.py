"""Keep a set of processes running: restart one that died, with exponential back-off, so a
crashed child costs its own restart time instead of the whole stack (``make run``)."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class Part:
    """One supervised process: how to tell it is up and how to start it again."""

    name: str
    alive: Callable[[], bool]
    restart: Callable[[], None]  # starts it and waits until it is ready; raises when it cannot


@dataclass
class _State:
    failures: int = 0  # restarts in a row without a healthy stretch between them
    next_try_at: float = 0.0
    up_since: float | None = None
    restarts: list[float] = field(default_factory=list)  # monotonic times of completed restarts


class Supervisor:
    """Call ``check()`` periodically: each dead part is restarted once its back-off has
    passed (``base_backoff_s`` doubling per failure in a row, at most ``max_backoff_s``);
    a part that stayed up ``healthy_after_s`` starts again from the base back-off."""

    def __init__(self, parts: list[Part], *, base_backoff_s: float = 1.0, max_backoff_s: float = 30.0,
                 healthy_after_s: float = 60.0, clock: Callable[[], float] = time.monotonic,
                 report: Callable[[str], None] = log.warning) -> None:
        self.parts = parts
        self.base_backoff_s = base_backoff_s
        self.max_backoff_s = max_backoff_s
        self.healthy_after_s = healthy_after_s
        self._clock = clock
        self._report = report
        now = clock()
        self._state = {p.name: _State(up_since=now) for p in parts}

    def restarts(self, name: str) -> list[float]:
        """When ``name`` was restarted (monotonic seconds), oldest first."""
        return list(self._state[name].restarts)

    def check(self) -> list[str]:
        """Restart what is dead and due; the names restarted."""
        restarted = []
        for part in self.parts:
            state = self._state[part.name]
            now = self._clock()
            if part.alive():
                if state.up_since is not None and now - state.up_since >= self.healthy_after_s:
                    state.failures = 0
                continue
            if state.up_since is not None:  # just found dead: the first retry waits the base back-off
                state.up_since = None
                state.next_try_at = now + self._backoff_s(state.failures)
                self._report(f"{part.name} exited; restarting in {state.next_try_at - now:.0f} s")
            if now < state.next_try_at:
                continue
            try:
                part.restart()
            except Exception as exc:  # noqa: BLE001 - a failed restart is retried after a longer wait
                state.failures += 1
                state.next_try_at = self._clock() + self._backoff_s(state.failures)
                self._report(f"{part.name} did not come back ({exc}); next try in "
                             f"{state.next_try_at - self._clock():.0f} s")
                continue
            state.failures += 1
            state.up_since = self._clock()
            state.restarts.append(state.up_since)
            restarted.append(part.name)
            self._report(f"{part.name} restarted")
        return restarted

    def _backoff_s(self, failures: int) -> float:
        return min(self.base_backoff_s * 2 ** failures, self.max_backoff_s)
