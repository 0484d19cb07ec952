"""Hypothesis profiles for the fuzzer: ``dev``, ``ci``, ``nightly``.

Select one with ``--hypothesis-profile=NAME`` (hypothesis's own pytest option). The counts
are for the virtual clock; on a real clock (``sim``, ``sge``) every step can take seconds,
so :func:`settings_for` cuts them down and bounds the total time with fewer, shorter runs.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]

settings.register_profile(
    "dev", max_examples=50, stateful_step_count=30, deadline=None, suppress_health_check=_SLOW_OK
)
# CI: enough to catch every planted fault (see mutants.py) in a few seconds.
settings.register_profile(
    "ci", max_examples=200, stateful_step_count=40, deadline=None, suppress_health_check=_SLOW_OK
)
settings.register_profile(
    "nightly",
    max_examples=5000,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=_SLOW_OK,
)

# On a real clock a step may sleep (reconnects let jobs end; waits block): keep it short.
_REAL_CLOCK = {"dev": (5, 15), "ci": (10, 20), "nightly": (100, 40)}


def settings_for(backend: Any, profile: str | None = None) -> settings:
    """The active profile's settings, scaled down for real-clock backends."""
    name = profile or settings.get_current_profile_name()
    current = settings.get_profile(profile) if profile else settings.default
    assert current is not None
    if backend.virtual:
        return settings(current, deadline=None)
    examples, steps = _REAL_CLOCK.get(name, (5, 15))
    return settings(
        current,
        max_examples=min(current.max_examples, examples),
        stateful_step_count=min(current.stateful_step_count, steps),
        deadline=None,
    )
