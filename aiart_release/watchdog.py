"""A time budget per file: no single file holds the scan.

A check that meets pathological input (a number-dense log of megabytes, a
regular expression that backtracks) must not stop the assessment of the
rest of the bundle. The engine runs each file's checks under a budget; when
it runs out, the check is interrupted, the file is reported as
``bundle.too-slow`` and the scan goes on.

The budget is a ``SIGALRM`` timer, so it works where checks run: the main
thread of the process (serial runs and the pool's worker processes). Where
signals are not available (another thread, Windows) the budget is not
enforced: the check runs to its end, as before.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class TimeBudgetExceeded(Exception):
    """The check ran past its time budget."""

    def __init__(self, seconds: float):
        super().__init__(f"ran past its time budget of {seconds:g} s")
        self.seconds = seconds


def enforceable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Raise TimeBudgetExceeded in the block once ``seconds`` have passed."""
    if not seconds or seconds <= 0 or not enforceable():
        yield
        return

    def expire(signum, frame):  # noqa: ARG001 - signal handler signature
        raise TimeBudgetExceeded(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
