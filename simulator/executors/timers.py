"""Callbacks due at a time, kept in one heap that the reaper thread serves.

A thread per pending callback (``threading.Timer``) would leave one thread behind per
``-l h_rt`` job and per start time, until it fired, hours later. Cancelled entries stay in
the heap until they come up, unless they outnumber the live ones, when the heap is rebuilt.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable


class Timer:
    """A pending callback; :meth:`cancel` makes it never run."""

    __slots__ = ("callback", "when")

    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback: Callable[[], None] | None = callback

    def cancel(self) -> None:
        self.callback = None


class TimerHeap:
    """Timers by due time (any monotonic clock); not thread-safe: its owner locks."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Timer]] = []
        self._order = itertools.count()  # ties run in the order they were added
        self._cancelled = 0

    def __len__(self) -> int:
        return len(self._heap) - self._cancelled

    def add(self, when: float, callback: Callable[[], None]) -> Timer:
        timer = Timer(when, callback)
        heapq.heappush(self._heap, (when, next(self._order), timer))
        return timer

    def cancel(self, timer: Timer) -> None:
        if timer.callback is None:
            return
        timer.cancel()
        self._cancelled += 1
        if self._cancelled > 64 and self._cancelled * 2 > len(self._heap):
            self._heap = [entry for entry in self._heap if entry[2].callback is not None]
            heapq.heapify(self._heap)
            self._cancelled = 0

    def next_time(self) -> float | None:
        """When the next live timer is due, or None."""
        heap = self._heap
        while heap and heap[0][2].callback is None:
            heapq.heappop(heap)
            self._cancelled -= 1
        return heap[0][0] if heap else None

    def pop_due(self, now: float) -> list[Callable[[], None]]:
        """The callbacks of every timer due by ``now``, in order, removed from the heap."""
        due = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            timer = heapq.heappop(heap)[2]
            if timer.callback is None:
                self._cancelled -= 1
                continue
            due.append(timer.callback)
            timer.callback = None
        return due
