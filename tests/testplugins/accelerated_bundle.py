"""An accelerator bundle check that says what it was given: the device, the
trust flag, the declared model and its time limit."""

from aiart_release import hookimpl
from aiart_release.checks import Check
from aiart_release.findings import Checkpoint, Finding, Location, Severity


class BundleDeviceProbe(Check):
    id = "bundle-device-probe"
    checkpoint = Checkpoint.MODEL_CODE
    description = "Says which device its bundle scan ran on (test plugin)"
    device = "accelerator"
    findings = {"model.bundle-device-probe": "what the bundle check was given"}

    def scan_bundle(self, ctx):
        model = ctx.model.generator if ctx.model else None
        yield Finding(
            id="model.bundle-device-probe",
            severity=Severity.INFO,
            message=(f"ran on {ctx.device}; trusted {ctx.trust_bundle_code}; model {model}; "
                     f"time limit {ctx.time_limit:g}"),
            location=Location(path="."),
        )


@hookimpl
def aiart_release_register_checks(register):
    register(BundleDeviceProbe())
