"""A check that raises on one file, and a bundle check that raises."""

from aiart_release import hookimpl
from aiart_release.checks import Check
from aiart_release.findings import Checkpoint


class Explodes(Check):
    id = "explodes"
    checkpoint = Checkpoint.DATASET
    description = "Raises on files whose text says BOOM (test plugin)"
    kinds = frozenset({"text"})

    def scan_file(self, file, ctx):
        content = file.abspath.read_text()
        if "BOOM" in content:
            raise ValueError(f"cannot handle {content!r}")  # quotes the content on purpose
        return ()


@hookimpl
def aiart_release_register_checks(register):
    register(Explodes())
