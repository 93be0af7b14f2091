"""Run the bundle's generator in a child process, within a time limit.

Nothing of the bundle is imported in this process: the child
(:mod:`.child`) is a fresh interpreter (``sys.executable -B -m``), started
in its own session in a temporary folder outside the bundle, with the
bundle root on its ``sys.path`` only. It is killed, with anything it
started, when the time limit passes, when this process is interrupted, and
by the kernel when this process dies. What comes back is read within a size
limit and checked: a list of 64-bit hashes, one per sample, or the reason
the generator failed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from aiart_release.config import ModelDeclaration
from aiart_release.engine import how_it_ended
from aiart_release.records import dataclass

CHILD = f"{__package__}.child"
# The answer: at most 10,000 hashes of 20 digits, or one reason.
MAX_ANSWER_BYTES = 1024 * 1024
MAX_REASON_CHARS = 300


@dataclass(frozen=True)
class Outcome:
    """The hashes of the generated samples, in sample order, or why there
    are none."""

    hashes: list[int] | None = None
    error: str | None = None


def run_generator(root: Path, model: ModelDeclaration, device: str,
                  seconds: float) -> Outcome:
    """Generate ``model.samples`` samples with the bundle's generator on
    ``device`` in a child process that may take ``seconds``."""
    temporary = Path(tempfile.gettempdir()).resolve()
    if temporary.is_relative_to(root.resolve()):  # asked before anything is made there
        return Outcome(error=f"the temporary folder {temporary} is inside the bundle, which "
                             "is never written to; set TMPDIR to a folder outside it")
    with tempfile.TemporaryDirectory(prefix="aiart-release-generation-") as folder:
        work = Path(folder)
        request = work / "request.json"
        answer = work / "answer.json"
        request.write_text(json.dumps({
            "root": str(root.resolve()), "module": model.module, "function": model.function,
            "weights": str((root / model.weights).resolve()), "samples": model.samples,
            "batch_size": model.batch_size, "seed": model.seed, "device": device,
            "result": str(answer),
        }), encoding="utf-8")
        ended = _run_child(request, work, seconds)
        if ended is None:
            return Outcome(error=f"it did not finish within its time limit of {seconds:g} s "
                                 "and was stopped")
        return _read_answer(answer, ended, model.samples)


def _run_child(request: Path, work: Path, seconds: float) -> int | None:
    """The child's exit code, or None when it ran past ``seconds``."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-B", "-m", CHILD, str(request)], cwd=work, env=env,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)  # its own process group: killed with what it started
    try:
        return process.wait(timeout=max(seconds, 0.001))
    except subprocess.TimeoutExpired:
        return None
    finally:
        # Also on the engine's time budget, Ctrl-C or SIGTERM in this process.
        _kill_group(process)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone already
    process.wait()


def _read_answer(answer: Path, exit_code: int, samples: int) -> Outcome:
    try:
        if answer.stat().st_size > MAX_ANSWER_BYTES:
            return Outcome(error="its answer was larger than any list of hashes")
        data: Any = json.loads(answer.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Outcome(error=f"its process ended without an answer ({how_it_ended(exit_code)})")
    except (OSError, ValueError):
        return Outcome(error="its answer could not be read")
    if not isinstance(data, dict):
        return Outcome(error="its answer could not be read")
    if isinstance(data.get("error"), str):
        return Outcome(error=data["error"][:MAX_REASON_CHARS])
    hashes = data.get("hashes")
    if not (isinstance(hashes, list) and len(hashes) == samples and all(
            type(h) is int and 0 <= h < 1 << 64 for h in hashes)):
        return Outcome(error="its answer was not one 64-bit hash a sample")
    return Outcome(hashes=hashes)

