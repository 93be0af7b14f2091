"""A file check that misbehaves by file name, for the fail-closed tests:

- ``exit*``: calls ``sys.exit(0)``;
- ``base*``: raises a BaseException of its own (not an Exception);
- ``sleep*``: sleeps for an hour (a third-party check stuck on a lock);
- ``die*``: ends its own process (``os._exit``);
- ``segv*``: crashes its process with a segmentation fault, as a bug in a
  C extension would;
- ``deaf*``: blocks the watchdog's alarm, then sleeps for an hour (only the
  process pool can stop it: never use it with ``--jobs 1``).

Any other file gets one ``docs.test-seen`` finding, to show the scan went on.
"""

import os
import signal
import sys
import time

from aiart_release import hookimpl
from aiart_release.checks import Check
from aiart_release.findings import Checkpoint, Finding, Location, Severity


class Escape(BaseException):
    """Not an Exception: ``except Exception`` lets it through."""


def _die():
    os._exit(0)


def _segfault():
    import ctypes

    ctypes.string_at(0)


MISBEHAVIOURS = {
    "exit": lambda: sys.exit(0),
    "base": lambda: (_ for _ in ()).throw(Escape("gone")),
    "sleep": lambda: time.sleep(3600),
    "die": _die,
    "segv": _segfault,
    "deaf": lambda: (signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM}),
                     time.sleep(3600)),
}


class Hostile(Check):
    id = "hostile-files"
    checkpoint = Checkpoint.DATASET
    description = "Exits, raises, sleeps or dies on files named so (test plugin)"
    kinds = frozenset({"text", "table"})
    findings = {"docs.test-seen": "the check read this file"}

    def scan_file(self, file, ctx):
        for prefix, misbehave in MISBEHAVIOURS.items():
            if file.name.startswith(prefix):
                misbehave()
        return [Finding(id="docs.test-seen", severity=Severity.INFO, message="seen",
                        location=Location(path=file.path))]


@hookimpl
def aiart_release_register_checks(register):
    register(Hostile())
