"""A check that takes a while per file, to show the progress bar."""

import time

from aiart_release import hookimpl
from aiart_release.checks import Check
from aiart_release.findings import Checkpoint


class Slow(Check):
    id = "slow"
    checkpoint = Checkpoint.DATASET
    description = "Sleeps 20 ms per text file (test plugin)"
    kinds = frozenset({"text"})

    def scan_file(self, file, ctx):
        time.sleep(0.02)
        return ()


@hookimpl
def aiart_release_register_checks(register):
    register(Slow())
