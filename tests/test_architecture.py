"""The floor plan stays true: docs/architecture.md names every module of the
core and no module that is gone, the core never imports a plugin, no plugin
imports another, the engine only runs checks (it imports neither rules nor
policy), and the CLI reaches the pipeline by its name."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

CORE = ROOT / "aiart_release"
PLUGINS = ROOT / "plugins"
# The name the built-in plugins are installed under (pyproject.toml).
PLUGINS_PACKAGE = "aiart_release.default_plugins"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
MODULES = sorted(p.relative_to(CORE).as_posix() for p in CORE.rglob("*.py"))
PLUGIN_MODULES = sorted(p.relative_to(PLUGINS).as_posix() for p in PLUGINS.rglob("*.py")
                        if p.name != "__init__.py" or p.parent != PLUGINS)


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in it (lazy imports inside
    functions included), relative imports resolved to absolute names. A
    module under plugins/ is read as the installed package names it
    (``aiart_release.default_plugins``)."""
    if path.is_relative_to(PLUGINS):
        package = [*PLUGINS_PACKAGE.split("."), *path.relative_to(PLUGINS).parent.parts]
    else:
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


def test_the_architecture_names_no_module_that_is_gone():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text[text.index("## Where each module sits"):]
    named = set(re.findall(r"^- `([\w/]+\.py)`", section, re.MULTILINE))
    assert named, "no module list found in docs/architecture.md"
    assert sorted(named - set(MODULES)) == [], (
        "docs/architecture.md names modules that are not under aiart_release/: remove them")


def plugin_of(module: str) -> str | None:
    """The plugin a module name belongs to: the first name below the plugins
    package (``licensing`` for ``aiart_release.default_plugins.licensing.catalog``),
    whether written as installed or as the repository's ``plugins.``."""
    for prefix in (PLUGINS_PACKAGE + ".", "plugins."):
        if module.startswith(prefix):
            return module.removeprefix(prefix).split(".")[0]
    return None


@pytest.mark.parametrize("module", PLUGIN_MODULES)
def test_no_plugin_imports_another_plugin(module):
    own = plugin_of(f"plugins.{module.removesuffix('.py').replace('/', '.')}")
    others = sorted(m for m in imported_modules(PLUGINS / module)
                    if plugin_of(m) not in (None, own))
    assert others == [], (
        f"plugins/{module} imports another plugin: move what both need into the core, "
        "or reach it through a fact or a hook")


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


def test_the_commands_call_the_pipeline_by_its_name():
    """Every command assesses through session.assess, which calls
    pipeline.assess by that name; nothing imports either under another."""
    tree = ast.parse((CORE / "session.py").read_text(encoding="utf-8"))
    calls = {ast.unparse(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert "pipeline.assess" in calls
    for module in ("cli.py", "session.py", "hook_command.py", "export_cli.py", "baseline_cli.py"):
        tree = ast.parse((CORE / module).read_text(encoding="utf-8"))
        renamed = [alias for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                   for alias in node.names
                   if alias.name in ("assess", "pipeline") and alias.asname]
        assert renamed == [], module


def test_the_import_reader_resolves_relative_imports(tmp_path):
    # The tests above are only as good as this reader.
    source = CORE / "report" / "terminal.py"
    found = imported_modules(source)
    assert "aiart_release.findings" in found and "aiart_release.report" in found
    # And a plugin's relative imports name the installed plugin package.
    found = imported_modules(PLUGINS / "provenance" / "check.py")
    assert "aiart_release.default_plugins.provenance.manifest" in found
    assert plugin_of("aiart_release.default_plugins.provenance.manifest") == "provenance"
    assert plugin_of("plugins.cards") == "cards" and plugin_of("aiart_release.facts") is None
