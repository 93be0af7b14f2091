"""The wheel: built without build isolation from this checkout, it holds the
core, the built-in plugins and the data under the aiart_release namespace,
no top-level `plugins` or `rules`, and works when installed as a wheel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest
from conftest import EXAMPLES, ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-q", "-w", str(out), str(ROOT)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (path,) = out.glob("aiart_release-*.whl")
    return path


def test_wheel_has_no_top_level_plugins_or_rules(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/", 1)[0] for name in names}
    assert "plugins" not in top_level and "rules" not in top_level
    assert {t for t in top_level if not t.endswith(".dist-info")} == {"aiart_release"}
    for expected in (
        "aiart_release/default_plugins/cards/__init__.py",
        "aiart_release/default_plugins/cards/people_described.py",
        "aiart_release/default_plugins/licensing/presence.py",
        "aiart_release/rules_data/policy.yaml",
        "aiart_release/schemas/assessment.schema.json",
        "aiart_release/schemas/config.schema.json",
        "aiart_release/report/terminal.py",
        "aiart_release/rules_data/license_index.json.gz",
        "aiart_release/rules_data/misuse/builtin.yaml",
        "aiart_release/rules_data/misuse/fixtures/misuse.minors-in-data/positive-minors-fact.json",
        "aiart_release/rules_data/sensitive_traits.yaml",
        "aiart_release/default_plugins/personal_data/check.py",
        "aiart_release/default_plugins/licensing/identify.py",
        "aiart_release/default_plugins/provenance/check.py",
        "aiart_release/default_plugins/provenance/manifest.py",
        "aiart_release/default_plugins/provenance/credits.py",
        "aiart_release/default_plugins/provenance/command.py",
        "aiart_release/license_catalog.py",
        "aiart_release/default_plugins/media/check.py",
        "aiart_release/default_plugins/file_kinds/cards.py",
    ):
        assert expected in names


def test_every_python_module_of_the_checkout_is_in_the_wheel(wheel):
    # pyproject lists the packages by hand: a new one left out (executors/
    # once was) imports in the editable checkout and fails when installed.
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {ROOT / "aiart_release": "aiart_release",
               ROOT / "plugins": "aiart_release/default_plugins"}
    missing = [f"{prefix}/{path.relative_to(folder).as_posix()}"
               for folder, prefix in sources.items() for path in folder.rglob("*.py")
               if "__pycache__" not in path.parts
               and f"{prefix}/{path.relative_to(folder).as_posix()}" not in names]
    assert missing == []


def test_wheel_declares_the_builtin_entry_points_and_console_script(wheel):
    archive = zipfile.ZipFile(wheel)
    entry_points = next(n for n in archive.namelist() if n.endswith("entry_points.txt"))
    text = archive.read(entry_points).decode()
    assert "[aiart_release]" in text
    assert "cards = aiart_release.default_plugins.cards" in text
    assert "aiart-release = aiart_release.entry:main" in text


def test_installed_wheel_assesses_a_bundle(wheel, tmp_path):
    target = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--disable-pip-version-check",
         "-q", "--target", str(target), str(wheel)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    # Run from a folder with no source tree in it, so only the wheel's copy
    # (first on PYTHONPATH) can be imported.
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = (
        "import aiart_release, sys; print(aiart_release.__file__); "
        "from aiart_release.cli import main; "
        f"sys.exit(main(['assess', {str(EXAMPLES / 'own-work')!r}, '-f', 'json']))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=tmp_path)
    first_line, _, rest = run.stdout.partition("\n")
    assert first_line.startswith(str(target)), first_line
    assert run.returncode == 0, run.stderr
    report = json.loads(rest)
    assert report["recommendation"]["overall"] == "open"
    # Every built-in plugin and its data loaded from the wheel.
    ids = {f["id"] for f in report["findings"]}
    assert not any(i.startswith("plugin.") for i in ids), ids
    assert "license.detected" in ids
    # A plugin's command (credits, from the provenance plugin) arrives too.
    help_ = subprocess.run([sys.executable, "-m", "aiart_release", "--help"],
                           capture_output=True, text=True, env=env, cwd=tmp_path)
    assert help_.returncode == 0 and "credits" in help_.stdout, help_.stderr
    assert help_.stderr == ""
