"""No single file holds the scan: a check stuck on one file is stopped,
reported as bundle.too-slow, and the scan goes on (issue 8, speed)."""

from __future__ import annotations

import json
import time

import pytest
from conftest import TESTS, make_bundle, run_tool

from aiart_release.watchdog import TimeBudgetExceeded, enforceable, time_budget


def test_time_budget_interrupts_a_loop():
    if not enforceable():
        pytest.skip("no SIGALRM here")
    started = time.monotonic()
    with pytest.raises(TimeBudgetExceeded), time_budget(0.2):
        while True:
            pass
    assert time.monotonic() - started < 5


def test_no_budget_means_no_interruption():
    with time_budget(None):
        total = sum(range(1000))
    assert total == 499500


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_stuck_file_is_reported_and_the_scan_goes_on(tmp_path, jobs):
    files = {"aiart-release.yaml": "limits:\n  seconds_per_file: 1\n",
             "notes/stuck.txt": "anything\n"}
    # Enough files that --jobs 2 really uses the pool.
    files.update({f"notes/n{i:03}.txt": "a note\n" for i in range(70)})
    bundle = make_bundle(tmp_path / "b", files)
    env = {"AIART_RELEASE_PLUGINS": "testplugins.stuck", "PYTHONPATH": str(TESTS),
           "AIART_RELEASE_DISABLE_PLUGINS": "personal-data"}
    result = run_tool("assess", bundle, "-f", "json", "--no-cache", "--jobs", jobs, env=env,
                      timeout=100)
    report = json.loads(result.out)
    slow = [f for f in report["findings"] if f["id"] == "bundle.too-slow"]
    assert [f["location"]["path"] for f in slow] == ["notes/stuck.txt"]
    assert "time budget of 1 s" in slow[0]["message"]
    seen = {f["location"]["path"] for f in report["findings"] if f["id"] == "docs.test-seen"}
    assert len(seen) == 70


def test_time_budget_interrupts_a_loop_in_another_thread():
    """A Dask worker runs tasks in threads, where SIGALRM cannot reach."""
    import threading

    from aiart_release.watchdog import guarded

    def spin():
        total = 0
        while True:
            total += 1

    outcome = {}

    def work():
        outcome["spin"] = guarded(0.2, spin)
        outcome["quick"] = guarded(0.2, sum, [1, 2])

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert isinstance(outcome["spin"][1], TimeBudgetExceeded)
    assert outcome["quick"] == (3, None)


def test_guarded_turns_every_exception_but_the_users_interrupts_into_a_value():
    import sys

    from aiart_release.watchdog import guarded

    assert isinstance(guarded(None, sys.exit, 0)[1], SystemExit)
    with pytest.raises(KeyboardInterrupt):
        guarded(None, lambda: (_ for _ in ()).throw(KeyboardInterrupt()))


def test_a_budget_inside_another_keeps_the_outer_one():
    """A check that times a step of its own must not disarm the engine's
    budget around it."""
    if not enforceable():
        pytest.skip("no SIGALRM here")
    started = time.monotonic()
    with pytest.raises(TimeBudgetExceeded) as caught, time_budget(0.5):
        with time_budget(0.1):
            pass
        with time_budget(30):  # longer than what the outer budget has left
            while True:
                pass
    assert caught.value.seconds == 0.5
    assert time.monotonic() - started < 5
