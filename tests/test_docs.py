"""Documentation that must stay true: every finding id the code can report
is documented, the README gives the two commands, local links resolve."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from aiart_release.plugins import build_registry

SOURCES = [*ROOT.joinpath("aiart_release").rglob("*.py"), *ROOT.joinpath("plugins").rglob("*.py")]
ID_IN_CODE = re.compile(r"""\bid=["']([a-z]+\.[a-z0-9.-]+)["']""")


def _code_finding_ids() -> set[str]:
    found = set()
    for path in SOURCES:
        found.update(ID_IN_CODE.findall(path.read_text()))
    for check in build_registry().checks.values():
        if check.__module__.startswith("aiart_release."):
            found.update(check.findings)
    return found


def test_finding_ids_are_found_in_the_code():
    ids = _code_finding_ids()
    assert {"docs.license-missing", "bundle.unreadable", "plugin.check-failed"} <= ids


@pytest.mark.parametrize("finding_id", sorted(_code_finding_ids()))
def test_every_finding_id_is_documented(finding_id):
    docs = (ROOT / "docs" / "findings.md").read_text()
    assert f"### `{finding_id}`" in docs


def test_every_builtin_check_declares_the_ids_it_reports():
    for check in build_registry().checks.values():
        if check.__module__.startswith("aiart_release."):
            assert check.findings, f"{check.id} declares no finding ids"
            assert check.description


def test_readme_gives_the_two_commands_and_ci_runs_make_test():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("doc", sorted(p.name for p in ROOT.joinpath("docs").glob("*.md"))
                         + ["../README.md"])
def test_local_links_resolve(doc):
    path = (ROOT / "docs" / doc).resolve()
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text()):
        if "://" in target:
            continue
        assert (path.parent / target).exists(), f"{doc} links to missing {target}"
