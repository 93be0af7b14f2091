"""A bundle check whose ``scan_bundle`` and ``facts`` misbehave when the
bundle holds a file named for it, for the fail-closed tests:

- ``exit-bundle``: ``scan_bundle`` raises GeneratorExit, ``facts`` calls
  ``sys.exit(0)``;
- ``sleep-bundle``: ``scan_bundle`` sleeps for an hour;
- ``sleep-facts``: ``facts`` sleeps for an hour.
"""

import sys
import time

from aiart_release import hookimpl
from aiart_release.checks import Check
from aiart_release.findings import Checkpoint


class HostileBundle(Check):
    id = "hostile-bundle"
    checkpoint = Checkpoint.PUBLISHING
    description = "Misbehaves in scan_bundle or facts on marked bundles (test plugin)"
    marks: set = set()

    def scan_bundle(self, ctx):
        self.marks = {f.name for f in ctx.inventory.files}
        if "exit-bundle" in self.marks:
            raise GeneratorExit
        if "sleep-bundle" in self.marks:
            time.sleep(3600)
        return ()

    def facts(self, findings):
        if "exit-bundle" in self.marks:
            sys.exit(0)
        if "sleep-facts" in self.marks:
            time.sleep(3600)
        return {}


@hookimpl
def aiart_release_register_checks(register):
    register(HostileBundle())
