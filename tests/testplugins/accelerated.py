"""An accelerator check that records the device it was given."""

from aiart_release import hookimpl
from aiart_release.checks import Check
from aiart_release.findings import Checkpoint, Finding, Location, Severity


class DeviceProbe(Check):
    id = "device-probe"
    checkpoint = Checkpoint.PUBLISHING
    description = "Says which device it ran on (test plugin)"
    kinds = frozenset({"model-weights"})
    device = "accelerator"
    findings = {"model.device-probe": "which device the check ran on"}

    def scan_file(self, file, ctx):
        yield Finding(
            id="model.device-probe",
            severity=Severity.INFO,
            message=f"ran on {ctx.device}",
            location=Location(path=file.path),
        )


@hookimpl
def aiart_release_register_checks(register):
    register(DeviceProbe())
