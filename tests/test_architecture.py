"""The floor plan stays true: docs/architecture.md names every module of the
core, the core never imports a plugin, the engine only runs checks (it
imports neither rules nor policy), and the CLI reaches the pipeline by its
name."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

CORE = ROOT / "aiart_release"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
MODULES = sorted(p.relative_to(CORE).as_posix() for p in CORE.rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in it (lazy imports inside
    functions included), relative imports resolved to absolute names."""
    package = ["aiart_release", *path.relative_to(CORE).parent.parts]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            # `from . import rules` imports the module aiart_release.rules.
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("module", MODULES)
def test_every_core_module_is_named_in_the_architecture(module):
    assert f"`{module}`" in ARCHITECTURE.read_text(encoding="utf-8"), (
        f"docs/architecture.md does not say where aiart_release/{module} sits: "
        "add one line for it")


@pytest.mark.parametrize("module", MODULES)
def test_no_core_module_imports_a_plugin(module):
    plugins = sorted(m for m in imported_modules(CORE / module)
                     if m == "aiart_release.default_plugins"
                     or m.startswith("aiart_release.default_plugins.")
                     or m == "plugins" or m.startswith("plugins."))
    assert plugins == [], f"aiart_release/{module} imports a plugin: reach it through a hook"


def test_the_engine_imports_neither_rules_nor_policy():
    judges = {"aiart_release.rules", "aiart_release.policy"}
    assert imported_modules(CORE / "engine.py") & judges == set()


def test_loading_the_engine_loads_neither_rules_nor_policy():
    # Not even through another module: the engine runs checks, it does not judge.
    code = ("import sys, aiart_release.engine; "
            "print(sorted(m for m in sys.modules if m in "
            "('aiart_release.rules', 'aiart_release.policy')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_the_cli_calls_the_pipeline_by_its_name():
    tree = ast.parse((CORE / "cli.py").read_text(encoding="utf-8"))
    calls = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert "pipeline.assess" in calls
    renamed = [alias for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               for alias in node.names
               if alias.name in ("assess", "pipeline") and alias.asname]
    assert renamed == []


def test_the_import_reader_resolves_relative_imports(tmp_path):
    # The tests above are only as good as this reader.
    source = CORE / "report" / "terminal.py"
    found = imported_modules(source)
    assert "aiart_release.findings" in found and "aiart_release.report" in found
