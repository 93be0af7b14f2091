"""Checks that fail the way a cluster's workers fail, for the Dask tests: a
worker killed while it holds a unit (once, then the retry succeeds; or
every time), and a check that raises.

The marker of "killed once" is kept outside the bundle, in the folder named
by AIART_TEST_MARKERS."""

import hashlib
import os
from pathlib import Path

from aiart_release import hookimpl
from aiart_release.checks import Check
from aiart_release.findings import Checkpoint, Finding, Location, Severity


class ClusterFaults(Check):
    id = "cluster-faults"
    checkpoint = Checkpoint.DATASET
    description = "Kills its worker or raises on marked files (test plugin)"
    kinds = frozenset({"text"})
    findings = {"pii.test-marker": "a marked file"}

    def scan_file(self, file, ctx):
        text = file.abspath.read_text()
        if "DIE-ALWAYS" in text:
            os._exit(1)
        if "DIE-ONCE" in text:
            marker = Path(os.environ["AIART_TEST_MARKERS"]) / hashlib.sha256(
                str(file.abspath).encode()).hexdigest()
            if not marker.exists():
                marker.write_text("died")
                os._exit(1)
        if "BOOM" in text:
            raise ValueError(f"cannot handle {text!r}")  # quotes the content on purpose
        return [Finding(id="pii.test-marker", severity=Severity.LOW, message="Scanned",
                        location=Location(path=file.path), evidence="s***",
                        matched=text.split()[0])]


@hookimpl
def aiart_release_register_checks(register):
    register(ClusterFaults())
