"""The cluster's two notions of time.

Timestamps (submission, start, end) are wall-clock seconds since the epoch, as Grid Engine
reports them; deadlines for blocking calls use :meth:`monotonic`, so a wall-clock step cannot
stretch or cut a timeout.
"""

import time


class RealClock:
    """Time as the machine tells it; jobs are real processes."""

    virtual = False

    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


class VirtualClock:
    """Time that moves only when told to, so an hour-long job can finish in microseconds.

    It starts at the machine's current second, so timestamps still look like dates.
    """

    virtual = True

    def __init__(self, start: float | None = None) -> None:
        self._now = float(int(time.time())) if start is None else float(start)

    def now(self) -> float:
        return self._now

    monotonic = now

    def set(self, when: float) -> None:
        if when < self._now:
            raise ValueError(f"the virtual clock cannot go back ({when} < {self._now})")
        self._now = when
