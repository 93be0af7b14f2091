"""What a check is, and what it is given when it runs.

A check is a small class. It declares which file kinds it reads and which
device it needs, and implements ``scan_file`` (called once per file of those
kinds, possibly in a worker process, its results cached by file content) or
``scan_bundle`` (called once with the whole inventory and the facts), or both.
Checks never print, never write inside the bundle, never use the network and
never execute bundle content.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from .findings import Checkpoint, Finding

if TYPE_CHECKING:
    from .bundle import BundleFile, Inventory
    from .facts import Fact, Facts

DEVICES = ("cpu", "accelerator")


class Check:
    """Base class for checks; see ``docs/plugins.md`` for a worked example.

    Class attributes:

    - ``id``: short unique name, shown as a finding's ``check`` (``"cards"``).
    - ``checkpoint``: the field-guide checkpoint its findings belong to
      (a finding may name another).
    - ``covers``: every checkpoint the check answers questions of; defaults
      to ``{checkpoint}``. The report says "nothing found" only for covered
      checkpoints.
    - ``description``: one line for ``aiart-release plugins``.
    - ``kinds``: the file kinds ``scan_file`` receives; empty for none.
    - ``device``: ``"cpu"``, or ``"accelerator"`` for a check that runs the
      released model itself (only those may).
    - ``version``: bump it when results change, so cached results are dropped.
    - ``findings``: every finding id the check may report, with one line on
      what it means (documented in ``docs/findings.md``).
    - ``batch_size``: how many files ``scan_batch`` may receive at once
      (default 1). A check whose per-call cost is high (a model, a batch NLP
      pipeline) sees ten thousand caption sidecars in a few calls.
    - ``provides``: every fact the check adds (from ``facts`` or, for now,
      from ``scan_bundle``), each a :class:`aiart_release.facts.Fact` with its
      type and a one-line meaning (``{"personal_data": Fact(bool, "...")}``).
      The policy and rule packs may name only declared facts; a fact the
      check returns without declaring it fails the check (docs/facts.md).
    - ``reads_generated``: whether ``scan_file`` also receives generated,
      minified and vendored files (``file.context == "generated"``). Off by
      default: their text was written by nobody in the release, and the
      inventory lists them once as ``bundle.generated``.
    """

    id: ClassVar[str] = ""
    checkpoint: ClassVar[Checkpoint] = Checkpoint.PUBLISHING
    covers: ClassVar[frozenset[Checkpoint]] = frozenset()
    description: ClassVar[str] = ""
    kinds: ClassVar[frozenset[str]] = frozenset()
    device: ClassVar[str] = "cpu"
    version: ClassVar[str] = "1"
    findings: ClassVar[Mapping[str, str]] = {}
    batch_size: ClassVar[int] = 1
    reads_generated: ClassVar[bool] = False
    provides: ClassVar[Mapping[str, Fact]] = {}

    def scan_file(self, file: BundleFile, ctx: FileContext) -> Iterable[Finding]:
        """Findings for one file. Must depend only on the file's path, its
        content and ``ctx.settings``: results are cached on those."""
        return ()

    def scan_batch(
        self, files: list[BundleFile], ctx: FileContext
    ) -> Iterable[tuple[BundleFile, Iterable[Finding]]]:
        """Findings for several files, as ``(file, findings)`` pairs; the
        default calls ``scan_file`` on each. Override it to share work across
        files (one NLP batch for many small files). Same rule as ``scan_file``:
        each file's findings depend only on that file and the settings."""
        for file in files:
            yield file, self.scan_file(file, ctx)

    def scan_bundle(self, ctx: BundleContext) -> Iterable[Finding]:
        """Findings about the bundle as a whole (a missing licence, say)."""
        return ()

    def facts(self, findings: list[Finding]) -> dict[str, Any]:
        """Facts this check derives from its own findings, for the policy and
        the misuse rules (``{"personal_data": True}``), each declared in
        ``provides``. Runs in the main process after all the check's scans."""
        return {}

    def provided_facts(self, findings: list[Finding]) -> dict[str, Any]:
        """``facts(findings)``, held to the declaration: raises
        :class:`aiart_release.facts.UndeclaredFact` when a fact is not in
        ``provides`` or not of its declared type. What the engine calls."""
        from .facts import check_provided

        values = self.facts(findings)
        check_provided(self, values)
        return values

    @property
    def checkpoints(self) -> frozenset[Checkpoint]:
        return self.covers or frozenset({self.checkpoint})

    @property
    def scans_files(self) -> bool:
        return bool(self.kinds) and type(self).scan_file is not Check.scan_file

    @property
    def scans_bundle(self) -> bool:
        return type(self).scan_bundle is not Check.scan_bundle


@dataclass
class FileContext:
    """What ``scan_file`` is given besides the file."""

    settings: Mapping[str, Any] = field(default_factory=dict)
    device: str = "cpu"
    max_read_bytes: int = 64 * 1024 * 1024
    # Presidio recognizer factories registered by plugins
    # (aiart_release_register_recognizers), for checks that run Presidio.
    recognizers: tuple = ()


@dataclass
class BundleContext:
    """What ``scan_bundle`` is given: the inventory, the facts and settings."""

    inventory: Inventory
    facts: Facts
    settings: Mapping[str, Any] = field(default_factory=dict)
    device: str = "cpu"
    # What the check provides from the whole bundle (``provide``); the
    # pipeline merges it into the facts with what ``facts()`` returns.
    provided: dict[str, Any] = field(default_factory=dict)

    def provide(self, values: Mapping[str, Any]) -> None:
        """Facts found while scanning the bundle (the licences in force,
        the number of manifest items). Held to what the check declares in
        ``provides``, like the results of ``facts``; ``ctx.facts`` itself
        never changes."""
        self.provided.update(values)


def validate_check(check: object) -> str | None:
    """Why ``check`` cannot be registered, or None when it can."""
    if not isinstance(check, Check):
        return f"{check!r} is not an aiart_release.checks.Check"
    if not check.id or not isinstance(check.id, str):
        return f"{type(check).__name__} has no id"
    if not isinstance(check.checkpoint, Checkpoint):
        return f"check {check.id!r}: checkpoint must be an aiart_release Checkpoint"
    if check.device not in DEVICES:
        return f"check {check.id!r}: device must be one of {', '.join(DEVICES)}"
    if not (check.scans_files or check.scans_bundle):
        return f"check {check.id!r} implements neither scan_file (with kinds) nor scan_bundle"
    return _provides_problem(check)


def _provides_problem(check: Check) -> str | None:
    from .facts import Fact

    if not isinstance(check.provides, Mapping):
        return f"check {check.id!r}: provides must map fact names to aiart_release.facts.Fact"
    for name, fact in check.provides.items():
        if not isinstance(name, str) or not name.isidentifier():
            return f"check {check.id!r}: fact name {name!r} must be an identifier"
        if not isinstance(fact, Fact) or not isinstance(fact.type, type) or not fact.meaning:
            return (f"check {check.id!r}: fact {name!r} must be declared as "
                    "Fact(type, 'one-line meaning')")
    return None
