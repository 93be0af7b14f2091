"""Golden JSON: what `aiart-release assess examples/NAME -f json --no-cache`
prints for each example bundle, apart from "timings", is kept in
tests/golden/NAME.json. A refactor must leave it identical.

When a change is meant to alter the output, regenerate the copies from the
repository root and review the diff before committing it:

    .venv/bin/python tests/test_examples_json.py

The bundle path is given relative to the repository root (as above), so the
stored "bundle.path" does not depend on where the checkout lives.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLES = ("own-work", "unlicensed-unfilled", "portrait-sessions", "nc-base-lora",
            "forum-fanart", "geotagged-portraits", "pickled-checkpoint", "fine-tune-declared")


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_json_is_unchanged(name, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    from aiart_release.cli import main

    code = main(["assess", f"examples/{name}", "-f", "json", "--no-cache"])
    report = json.loads(capsys.readouterr().out)
    report.pop("timings", None)
    report["exit_code"] = code  # the gate is behaviour too
    expected = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    assert report == expected


def regenerate() -> None:
    """Write tests/golden/NAME.json for every example from the current code,
    running the installed command beside this Python, without the plugin
    settings of the developer's shell (as the tests' fixtures do)."""
    tool = Path(sys.executable).parent / "aiart-release"
    env = {k: v for k, v in os.environ.items() if k not in (
        "AIART_RELEASE_PLUGINS", "AIART_RELEASE_DISABLE_PLUGINS", "AIART_RELEASE_DEBUG")}
    GOLDEN.mkdir(exist_ok=True)
    for name in EXAMPLES:
        proc = subprocess.run([str(tool), "assess", f"examples/{name}", "-f", "json",
                               "--no-cache"], capture_output=True, text=True, cwd=ROOT, env=env)
        report = json.loads(proc.stdout)
        report.pop("timings", None)
        report["exit_code"] = proc.returncode  # the gate is behaviour too
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
        (GOLDEN / f"{name}.json").write_text(text, encoding="utf-8")
        print(f"wrote {GOLDEN.relative_to(ROOT) / name}.json")


if __name__ == "__main__":
    regenerate()
