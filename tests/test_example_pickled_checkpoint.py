"""examples/pickled-checkpoint (issue 12): a pickle-based checkpoint whose
loading would run a command, training code that loads checkpoints with the
full unpickler, and a samples folder holding one near-copy of a training
image. Assessed by the installed command, as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "examples" / "pickled-checkpoint"


def _assess(*extra: str) -> tuple[int, dict]:
    tool = Path(sys.executable).parent / "aiart-release"
    proc = subprocess.run([str(tool), "assess", str(BUNDLE), "-f", "json", "--no-cache", *extra],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    return proc.returncode, json.loads(proc.stdout)


def test_the_example_is_closed_for_its_pickle_and_names_the_one_near_copy():
    code, report = _assess()
    assert code == 1  # declared open, recommended closed
    by_id: dict[str, list[dict]] = {}
    for finding in report["findings"]:
        by_id.setdefault(finding["id"], []).append(finding)

    (pickle,) = by_id["model.unsafe-pickle"]
    assert pickle["severity"] == "critical"
    assert pickle["location"]["path"] == "model/ink-sketch.ckpt"
    assert "os.system" in pickle["message"]

    # Exactly one sample copies a training image, and it is the one the
    # example's script made from ink-04; the three new sketches are not.
    (copy,) = by_id["model.near-copy"]
    assert copy["location"]["path"] == "samples/sample-03.jpg"
    assert "data/images/ink-04.png" in copy["message"]

    (load,) = by_id["model.unsafe-load-code"]
    assert load["location"]["path"] == "code/train.py" and load["severity"] == "medium"

    tiers = {name: a["tier"] for name, a in report["recommendation"]["artifacts"].items()}
    assert tiers["model"] == "closed"
    assert tiers["dataset"] == "open"  # the ink studies are the studio's own
