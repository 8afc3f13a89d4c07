"""The stack's supervisor on a fake clock: a dead part comes back after its back-off, the
back-off doubles while restarts fail or the part keeps dying, and resets once it stays up."""

from ailurus_tools.supervisor import Part, Supervisor


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Child:
    def __init__(self) -> None:
        self.up = True
        self.starts = 0
        self.fail_next = 0

    def restart(self) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("port still taken")
        self.starts += 1
        self.up = True


def make(clock, child, **options) -> Supervisor:
    return Supervisor([Part("triton", lambda: child.up, child.restart)], clock=clock, report=lambda _: None,
                      base_backoff_s=1, max_backoff_s=8, healthy_after_s=60, **options)


def test_dead_part_is_restarted_after_the_base_backoff():
    clock, child = Clock(), Child()
    supervisor = make(clock, child)
    assert supervisor.check() == []
    child.up = False
    assert supervisor.check() == []  # found dead: waits 1 s first
    clock.now += 1
    assert supervisor.check() == ["triton"] and child.starts == 1


def test_failing_restarts_back_off_exponentially_up_to_the_cap():
    clock, child = Clock(), Child()
    supervisor = make(clock, child)
    child.up, child.fail_next = False, 5
    supervisor.check()
    waits = []
    last = clock.now
    while child.starts == 0:
        clock.now += 0.5
        supervisor.check()
        if child.fail_next < 5 - len(waits):
            waits.append(clock.now - last)
            last = clock.now
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0]  # the five failed tries
    assert clock.now - last == 8.0  # and the one that worked


def test_part_that_stays_up_starts_again_from_the_base_backoff():
    clock, child = Clock(), Child()
    supervisor = make(clock, child)
    for _ in range(3):  # dies right after each restart: the wait grows
        child.up = False
        supervisor.check()
        while not child.up:
            clock.now += 0.5
            supervisor.check()
    times = supervisor.restarts("triton")
    assert [round(b - a, 1) for a, b in zip(times, times[1:], strict=False)] == [2.0, 4.0]
    clock.now += 61
    supervisor.check()  # healthy for a minute
    child.up = False
    supervisor.check()
    clock.now += 1
    assert supervisor.check() == ["triton"]
