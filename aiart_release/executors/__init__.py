"""Where the checks' work units run: ``--executor local|dask[=ADDRESS]``.

``local`` is the engine's own process pool (``engine._Pool``), the default.
``dask`` sends the same units, one task each, to a ``distributed`` cluster:
the scheduler at ADDRESS, or a ``LocalCluster`` started for the run
(:mod:`aiart_release.executors.dask_cluster`). Both get the same units, large
tables cut into parts (``readers.tables.split_table``), and the engine
stores and merges what comes back in the same order: the findings are the
same (docs/scale.md).

Dask and distributed are an optional extra (``pip install
aiart-release[dask]``), imported only when ``dask`` is chosen.
"""

from __future__ import annotations

from ..records import dataclass

EXECUTORS = ("local", "dask")


class ExecutorError(ValueError):
    """The executor cannot be used: a bad ``--executor``, dask not
    installed, a scheduler that does not answer. One line, exit code 2."""


@dataclass(frozen=True)
class ExecutorChoice:
    """``kind`` is ``local`` or ``dask``; ``address`` the scheduler's
    (``tcp://host:8786``), or None for a LocalCluster started for the run."""

    kind: str = "local"
    address: str | None = None

    @property
    def distributed(self) -> bool:
        return self.kind == "dask"


def parse_executor(text: str) -> ExecutorChoice:
    """``local``, ``dask`` or ``dask=ADDRESS``; raises ExecutorError."""
    kind, _, address = (text or "local").strip().partition("=")
    kind = kind.strip().lower()
    if kind not in EXECUTORS:
        raise ExecutorError(f"unknown executor {text!r}: use local, dask or dask=ADDRESS")
    if kind == "local" and address:
        raise ExecutorError("the local executor takes no address")
    if kind == "dask" and _ and not address.strip():
        raise ExecutorError("dask= needs a scheduler address (dask=tcp://host:8786)")
    return ExecutorChoice(kind, address.strip() or None)
