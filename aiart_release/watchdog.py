"""Time budgets and fail-closed calls: no check holds the scan or ends it.

A check that meets pathological input (a number-dense log of megabytes, a
regular expression that backtracks), or a third-party check that sleeps on
a lock, must not stop the assessment of the rest of the bundle; one that
calls ``sys.exit(0)`` must not end the run with a passing exit code. The
engine runs every unit of plugin work (one check on one file, a bundle
check, a check's ``facts``) through :func:`guarded`: the work runs under a
time budget, and whatever it raises, ``BaseException`` included, comes back
as a value for the engine to turn into a finding. Only the user's own
interrupts pass: ``KeyboardInterrupt`` (Ctrl-C) and :class:`Terminated`
(SIGTERM, raised by the engine's handler while it runs a process pool).

How the budget is enforced depends on where the work runs:

- in the main thread of a process (a serial run, and each worker of the
  engine's process pool): a ``SIGALRM`` timer. It interrupts Python code and
  blocking calls such as ``time.sleep``; it repeats every second after it
  first fires, so a check that swallows the exception is interrupted again.
- in another thread (a Dask worker runs tasks in threads): the exception is
  raised in the thread asynchronously (``PyThreadState_SetAsyncExc``). That
  stops Python code, but not a call blocked in C (a ``sleep``, a lock, a
  native regex) until that call returns.
- where neither is available (Windows, an interpreter without ``ctypes``
  access to the C API) the budget is not enforced.

What no in-process timer can stop (a check blocked in C that ignores
signals, or one that swallows every exception forever) is stopped by the
engine's process pool, which ends a worker that overruns its budget and
reports the file as ``bundle.too-slow``; a serial run (``--jobs 1``) has no
such backstop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

# After the budget has run out, the alarm fires again this often, until the
# work has given up: a check may catch the first interruption.
REPEAT_SECONDS = 1.0


class TimeBudgetExceeded(BaseException):
    """The work ran past its time budget.

    A ``BaseException``, so that a check's own ``except Exception`` (around
    the parsing of one line, say) does not swallow it and carry on.
    """

    def __init__(self, seconds: float | None = None):
        self.seconds = seconds
        super().__init__(f"ran past its time budget of {seconds:g} s" if seconds
                         else "ran past its time budget")


class Terminated(SystemExit):
    """SIGTERM reached the process: stop everything and exit 143 (128 + 15),
    the code a shell reports for a process that SIGTERM ended."""

    def __init__(self) -> None:
        super().__init__(128 + 15)  # SIGTERM is 15 on every POSIX system


# What guarded() never turns into a value: the user stopping the run.
STOP = (KeyboardInterrupt, Terminated)


def enforceable() -> bool:
    """Whether a budget can interrupt work in the calling thread."""
    if _in_main_thread():
        return _has_timer()
    return _async_exc() is not None


# signal and threading are imported where they are used: --help loads the
# plugins, and with them this module, but never runs a budget.

def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _has_timer() -> bool:
    import signal

    return hasattr(signal, "setitimer")


@contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Raise TimeBudgetExceeded in the block once ``seconds`` have passed
    (not at all for ``None`` or 0, or where it cannot be enforced)."""
    if not seconds or seconds <= 0:
        yield
    elif _in_main_thread() and _has_timer():
        with _alarm(seconds):
            yield
    elif not _in_main_thread() and _async_exc() is not None:
        with _thread_alarm(seconds):
            yield
    else:
        yield


# The budget of the block the alarm is armed for (None: not armed).
_armed: float | None = None


def _expire(signum, frame):  # noqa: ARG001 - signal handler signature
    if _armed is not None:
        raise TimeBudgetExceeded(_armed)


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    import signal

    global _armed
    # The handler stays installed between blocks (it does nothing when no
    # budget is armed): setting it costs more than the timer itself, and
    # the engine arms one budget per file and check.
    if signal.getsignal(signal.SIGALRM) is not _expire:
        signal.signal(signal.SIGALRM, _expire)
    # Inside another budget, the one that runs out first is armed, and the
    # outer one is armed again, less the time spent, when the block ends.
    outer, outer_left = _armed, signal.getitimer(signal.ITIMER_REAL)[0]
    inner = outer is None or not outer_left or seconds < outer_left
    started = time.monotonic()
    if inner:
        _armed = seconds
        signal.setitimer(signal.ITIMER_REAL, seconds, REPEAT_SECONDS)
    try:
        yield
    finally:
        if not inner:
            pass
        elif outer is None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            _armed = None
        else:
            _armed = outer
            left = max(outer_left - (time.monotonic() - started), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, REPEAT_SECONDS)


@contextmanager
def _thread_alarm(seconds: float) -> Iterator[None]:
    import ctypes
    import threading

    raise_in = _async_exc()
    target = ctypes.c_ulong(threading.get_ident())
    done = threading.Event()

    def expire() -> None:
        # Raise in the thread doing the work, again every REPEAT_SECONDS
        # until the block is left.
        while not done.wait(0 if expire.fired else seconds):
            expire.fired = True
            raise_in(target, ctypes.py_object(TimeBudgetExceeded))
            done.wait(REPEAT_SECONDS)

    expire.fired = False
    timer = threading.Thread(target=expire, daemon=True, name="aiart-release-budget")
    timer.start()
    try:
        yield
    finally:
        done.set()
        timer.join()
        raise_in(target, None)  # drop an interruption not yet delivered


def _async_exc() -> Callable[..., Any] | None:
    try:
        import ctypes

        return ctypes.pythonapi.PyThreadState_SetAsyncExc
    except (ImportError, AttributeError, OSError):  # not CPython
        return None


def guarded(seconds: float | None, work: Callable[..., T], *args: Any
            ) -> tuple[T | None, BaseException | None]:
    """Call ``work(*args)`` within ``seconds`` and never raise: returns
    ``(value, None)``, or ``(None, exc)`` with the exception it raised
    (:class:`TimeBudgetExceeded` when the budget ran out; ``SystemExit``,
    ``GeneratorExit`` and any other ``BaseException`` too). Only the user's
    interrupts (:data:`STOP`) pass through. One unit of work, one call: a
    serial loop, a pool worker or a Dask task can all run it."""
    try:
        with time_budget(seconds):
            return work(*args), None
    except STOP:
        raise
    except BaseException as exc:  # noqa: BLE001 - fail closed: every exception is a finding
        return None, exc
