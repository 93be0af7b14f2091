"""A plugin that uses the remaining hooks: a reporter, a rule pack, a
recognizer factory and a classifier that overrides the built-in one."""

from aiart_release import hookimpl
from aiart_release.report import Reporter

FACTORY_CALLS = []


def _count(assessment, options):
    return f"{len(assessment.findings)} finding(s)\n"


def recognizer_factory():
    FACTORY_CALLS.append(1)
    return []


PACK = {
    "pack": "test-pack",
    "version": "1.0.0",
    "rules": [
        {
            "id": "misuse.test-unlicensed-model",
            "title": "Unlicensed model reused without limits",
            "when": {"all": [
                {"finding": {"id": "docs.license-missing", "artifact": "model"}},
                {"artifacts": "model"},
            ]},
            "scenario": {"actor": "anyone", "motivation": ["profit"], "harm": "uncontrolled reuse"},
            "likelihood": "medium",
            "impact": "medium",
            "min_tier": {"model": "closed"},
            "mitigations": ["Add a licence"],
        }
    ],
}


@hookimpl
def aiart_release_register_reporters(register):
    register(Reporter("count", "Number of findings (test plugin)", _count))


@hookimpl
def aiart_release_register_rules(register):
    register(PACK)


@hookimpl
def aiart_release_register_recognizers(register):
    register(recognizer_factory)


@hookimpl
def aiart_release_classify_file(file):
    if file.suffix == ".lyrics":
        return "text"
    return None
