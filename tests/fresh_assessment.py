"""A folder assessed in a fresh interpreter, as the pre-commit hook assesses
its staged view (issue 13's light-registration tests): the registry built
as the CLI builds it, the pipeline run without the cache; what was imported,
and the findings and facts of the checks asked about."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from conftest import ROOT

PROBE = """
import json, sys
from pathlib import Path

from aiart_release import pipeline
from aiart_release.cli import plugin_registry
from aiart_release.config import load_config
from aiart_release.engine import Options
from aiart_release.policy import load_policy

root, checks, facts = Path(sys.argv[1]), sys.argv[2].split(","), sys.argv[3].split(",")
assessment = pipeline.assess(root, plugin_registry(), load_config(root), load_policy(),
                             Options(jobs=1, use_cache=False))
print(json.dumps({
    "modules": sorted(sys.modules),
    "findings": sorted([f.check, f.id, f.severity.value, f.location.path, f.message]
                       for f in assessment.findings if f.check in checks),
    "facts": {name: assessment.facts.values.get(name) for name in facts},
}))
"""


def assess_fresh(folder: Path, checks: Iterable[str], facts: Iterable[str],
                 disabled: Iterable[str] = ("studio",)) -> dict:
    """``{"modules": [...], "findings": [[check, id, severity, path, message]...],
    "facts": {name: value}}``. ``disabled``: plugins left out (the example
    plugin ``make test`` installs, as a user without it runs)."""
    env = {**os.environ, "AIART_RELEASE_DISABLE_PLUGINS": ",".join(disabled),
           "AIART_RELEASE_CACHE_DIR": str(folder.parent / "cache")}
    proc = subprocess.run([sys.executable, "-c", PROBE, str(folder), ",".join(checks),
                           ",".join(facts)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])
