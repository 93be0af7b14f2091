"""A file check that misbehaves by file name, for the fail-closed tests:

- ``exit*``: calls ``sys.exit(0)``;
- ``base*``: raises a BaseException of its own (not an Exception);
- ``sleep*``: sleeps for an hour (a third-party check stuck on a lock);
- ``die*``: ends its own process (``os._exit``), as a crash in C would.

Any other file gets one ``docs.test-seen`` finding, to show the scan went on.
"""

import os
import sys
import time

from aiart_release import hookimpl
from aiart_release.checks import Check
from aiart_release.findings import Checkpoint, Finding, Location, Severity


class Escape(BaseException):
    """Not an Exception: ``except Exception`` lets it through."""


def _die():
    os._exit(0)


MISBEHAVIOURS = {
    "exit": lambda: sys.exit(0),
    "base": lambda: (_ for _ in ()).throw(Escape("gone")),
    "sleep": lambda: time.sleep(3600),
    "die": _die,
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
