"""A plugin that registers garbage through every hook and whose checks
return garbage. Each bad contribution must become a ``plugin.*`` finding and
be skipped; the good ones (``hostile-garbage-returns`` and the ``keep``
reporter) must still arrive. Exit 3 only under ``--strict``."""

from aiart_release import hookimpl
from aiart_release.checks import Check
from aiart_release.findings import Checkpoint, Finding, Location, Severity
from aiart_release.report import Reporter


class KindsNotASet(Check):
    id = "hostile-kinds-int"
    kinds = 5  # not a set of kinds

    def scan_file(self, file, ctx):
        return ()


class VersionNotAString(Check):
    id = "hostile-version-int"
    version = 3
    kinds = frozenset({"text"})

    def scan_file(self, file, ctx):
        return ()


class BatchNotAnInt(Check):
    id = "hostile-batch-str"
    batch_size = "many"
    kinds = frozenset({"text"})

    def scan_file(self, file, ctx):
        return ()


class FindingsNotAMapping(Check):
    id = "hostile-findings-list"
    findings = ["docs.x"]

    def scan_bundle(self, ctx):
        return ()


class IdRaises(Check):
    kinds = frozenset({"text"})

    @property
    def id(self):
        raise SystemExit(0)

    def scan_file(self, file, ctx):
        return ()


def _bad(name: str, path: str):
    """What the check returns for a file called ``name``: garbage of one kind."""
    where = Location(path=path)
    return {
        "int": 42,
        "str": "not findings",
        "obj": [object()],
        "sev": [Finding(id="docs.test-seen", severity="urgent", message="m", location=where)],
        "cp": [Finding(id="docs.test-seen", severity=Severity.INFO, message="m",
                       location=where, checkpoint="dataset")],
        "loc": [Finding(id="docs.test-seen", severity=Severity.INFO, message="m",
                        location=path)],
        "id": [Finding(id="Not An Id!", severity=Severity.INFO, message="m", location=where)],
        "msg": [Finding(id="docs.test-seen", severity=Severity.INFO, message=None,
                        location=where)],
    }.get(name.split(".")[0])


class ReturnsGarbage(Check):
    id = "hostile-garbage-returns"
    checkpoint = Checkpoint.DATASET
    description = "Returns garbage on files named after the garbage (test plugin)"
    kinds = frozenset({"text"})
    findings = {"docs.test-seen": "the check read this file"}

    def scan_file(self, file, ctx):
        bad = _bad(file.name, file.path)
        if bad is not None:
            return bad
        return [Finding(id="docs.test-seen", severity=Severity.INFO, message="seen",
                        location=Location(path=file.path))]

    def scan_bundle(self, ctx):
        return 7

    def facts(self, findings):
        return ["not", "a", "mapping"]


@hookimpl
def aiart_release_register_checks(register):
    for garbage in (None, "cards", ReturnsGarbage, KindsNotASet(), VersionNotAString(),
                    BatchNotAnInt(), FindingsNotAMapping(), IdRaises()):
        register(garbage)
    register(ReturnsGarbage())


@hookimpl
def aiart_release_register_reporters(register):
    register(object())
    register(Reporter(5, "a number for a name", lambda a, o: ""))
    register(Reporter("uncallable", "render is a string", "render"))
    register(Reporter("keep", "a good one after the garbage", lambda a, o: "kept\n"))


@hookimpl
def aiart_release_register_rules(register):
    register(42)
    register(["not", "a", "pack"])


@hookimpl
def aiart_release_register_recognizers(register):
    register("not callable")
