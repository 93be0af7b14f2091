"""A check that never finishes on files named ``stuck*``: pathological input
for the watchdog. Elsewhere it reports one finding per file, to show the
scan went on."""

from aiart_release import hookimpl
from aiart_release.checks import Check
from aiart_release.findings import Checkpoint, Finding, Location, Severity


class Stuck(Check):
    id = "stuck"
    checkpoint = Checkpoint.DATASET
    description = "Loops forever on files named stuck* (test plugin)"
    kinds = frozenset({"text"})
    findings = {"docs.test-seen": "the check read this file"}

    def scan_file(self, file, ctx):
        while file.name.startswith("stuck"):
            pass  # a regular expression that backtracks, a quadratic loop...
        return [Finding(id="docs.test-seen", severity=Severity.INFO, message="seen",
                        location=Location(path=file.path))]


@hookimpl
def aiart_release_register_checks(register):
    register(Stuck())
