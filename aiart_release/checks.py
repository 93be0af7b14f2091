"""What a check is, and what it is given when it runs.

A check is a small class. It declares which file kinds it reads and which
device it needs, and implements ``scan_file`` (called once per file of those
kinds, possibly in a worker process, its results cached by file content) or
``scan_bundle`` (called once with the whole inventory and the facts), or both.
Checks never print, never write inside the bundle, never use the network and
never execute bundle content.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import field
from typing import TYPE_CHECKING, Any, ClassVar

from .findings import ARTIFACTS, Checkpoint, Finding, Location, Severity
from .records import dataclass

if TYPE_CHECKING:
    from .bundle import BundleFile, Inventory
    from .config import ModelDeclaration
    from .device import DeviceLease
    from .facts import Fact, Facts

DEVICES = ("cpu", "accelerator")


class Check:
    """Base class for checks; see ``docs/plugins.md`` for a worked example.

    The engine holds every check to this contract, and fails closed: each
    call (``scan_file``, ``scan_batch``, ``scan_bundle``, ``facts``) has a
    time budget (``limits.seconds_per_file``) past which it is stopped and
    reported as ``bundle.too-slow``; whatever it raises, ``SystemExit``
    included, and whatever it returns that is not an iterable of
    well-formed :class:`Finding` (see :func:`finding_problem`), is a
    ``plugin.check-failed`` finding. Class attributes of the wrong type are
    refused when the check is registered (:func:`validate_check`).

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
      released model itself (only those may). Accelerator checks run one at
      a time, in the engine's process, on the device ``--device`` resolves
      to (``ctx.device``); the JSON report records the device each used. An
      accelerator ``scan_bundle`` call may take ``checks.<id>.time_limit``
      seconds (default 300) rather than ``limits.seconds_per_file``.
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
    - ``bundle_cacheable``: whether ``scan_bundle`` is a pure function of
      what it is given, so that its findings and the facts it provides may
      be taken from the result cache when none of it changed: every file's
      path, kind, artifact, context and content, the facts, the
      configuration, the check's settings and version, the installed
      plugins and the tool's version. Off by default: a check that reads
      anything else (the clock, the environment, a file outside the
      bundle, a model's output) would be answered with a stale result, and
      a stale pass is the one failure a release gate must not have; a
      check opts in once its author has made sure. A check whose work a
      time limit can cut short says so with ``ctx.stopped_early()``, and
      that result is not kept. Where the bundle lies
      is no part of the key (the hook's copy is in a new folder each run):
      a check whose findings name its absolute path must not opt in.
      Accelerator checks are never cached, whatever they declare (they run
      the released model).
    - ``bundle_reads``: the file kinds ``scan_bundle`` opens
      (``frozenset({"license", "model-card"})``), or None (the default)
      for any file. A bundle at a URL and the hook's staged view copy
      media, weights and large tables only when read: the files of these
      kinds are copied before ``scan_bundle`` runs, in batches and outside
      its time limit; with None every file is. A file of another kind is
      still copied when first opened through its path (``lazy_paths.py``).
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
    bundle_cacheable: ClassVar[bool] = False
    bundle_reads: ClassVar[frozenset[str] | None] = None
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

    def environment_key(self, settings: Mapping[str, Any]) -> str:
        """What besides its settings, its version and the installed plugins
        decides what this check finds: an optional library or a system
        program it finds at run time (the OCR engine ``ocr_engine: auto``
        takes). Part of the result cache's key, so that installing one is
        seen. Empty by default."""
        return ""

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

    @property
    def caches_bundle_results(self) -> bool:
        """Whether the engine may answer ``scan_bundle`` from the cache."""
        return self.bundle_cacheable is True and self.device == "cpu"


@dataclass
class FileContext:
    """What ``scan_file`` is given besides the file."""

    settings: Mapping[str, Any] = field(default_factory=dict)
    device: str = "cpu"
    max_read_bytes: int = 64 * 1024 * 1024
    # Presidio recognizer factories registered by plugins
    # (aiart_release_register_recognizers), for checks that run Presidio.
    recognizers: tuple = ()


@dataclass(frozen=True)
class BundleContext:
    """What ``scan_bundle`` is given: the inventory, the facts and settings.

    Read-only (a frozen dataclass): a check reads what it is given and
    returns findings; only ``provide`` adds facts.

    - ``device``: the device to run the model on. ``"cpu"`` for a CPU check;
      for a check that declares ``device = "accelerator"``, the device
      ``--device`` resolves to (``"cpu"``, ``"cuda:0"``), resolved when the
      check first reads it, so that a check with nothing to run never
      imports torch. Where ``--device`` names a device that is not there,
      reading it raises :class:`aiart_release.device.DeviceUnavailable` and
      the engine reports the check as skipped: read it before doing work.
    - ``trust_bundle_code``: whether the user passed ``--trust-bundle-code``,
      the only permission to import or run anything from the bundle (and
      then only in a child process, never in the process that runs checks).
    - ``model``: the generator the bundle declares (``model:`` of
      ``aiart-release.yaml``), or None.
    - ``time_limit``: the seconds this call may take before the engine stops
      it (cut at the run's ``--timeout``), or None for no limit. A check
      that runs work in a child process ends it within this.
    """

    inventory: Inventory
    facts: Facts
    settings: Mapping[str, Any] = field(default_factory=dict)
    trust_bundle_code: bool = False
    model: ModelDeclaration | None = None
    time_limit: float | None = None
    # What the check provides from the whole bundle (``provide``); the
    # pipeline merges it into the facts with what ``facts()`` returns.
    provided: dict[str, Any] = field(default_factory=dict)
    # Hands out the accelerator (engine); None for CPU checks.
    device_lease: DeviceLease | None = field(default=None, repr=False, compare=False)
    # Set by ``stopped_early``: the time limit cut the work short.
    early: list[bool] = field(default_factory=list, repr=False, compare=False)

    @property
    def device(self) -> str:
        if self.device_lease is None:
            return "cpu"
        return self.device_lease.take()

    def stopped_early(self) -> None:
        """Say that the time limit cut this call's work short (it searched
        part of the images, say). Its findings then depend on how fast the
        machine was, not only on the bundle, so the engine does not keep
        them in the result cache even for a ``bundle_cacheable`` check."""
        self.early.append(True)

    @property
    def cut_short(self) -> bool:
        return bool(self.early)

    def provide(self, values: Mapping[str, Any]) -> None:
        """Facts found while scanning the bundle (the licences in force,
        the number of manifest items). Held to what the check declares in
        ``provides``, like the results of ``facts``; ``ctx.facts`` itself
        never changes."""
        self.provided.update(values)


def environment_key(check: object, settings: Mapping[str, Any]) -> str:
    """``check.environment_key(settings)``, or empty for a check that does
    not define it (one not derived from :class:`Check`) or fails in it."""
    method = getattr(check, "environment_key", None)
    try:
        return str(method(settings)) if callable(method) else ""
    except Exception:  # noqa: BLE001 - a plugin's failure here must not stop the run
        return ""


def number_setting(settings: Mapping[str, Any], name: str, default: int | float,
                   low: int | float, high: int | float) -> Any:
    """``settings[name]`` when it is a number of the default's type (a whole
    number for an int default; a bool is no number) within ``[low, high]``,
    else ``default``: a mistyped setting leaves the check's measured default
    in place rather than failing it."""
    value = settings.get(name, default)
    whole = isinstance(default, int)
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
        return default
    if not low <= value <= high:
        return default
    return value if whole else float(value)


def validate_check(check: object) -> str | None:
    """Why ``check`` cannot be registered, or None when it can: every
    attribute the engine reads is of the type it expects, so that a
    plugin's mistake is reported when it registers, not as a crash later."""
    if not isinstance(check, Check):
        return f"{type(check).__name__} object is not an aiart_release.checks.Check"
    if not check.id or not isinstance(check.id, str):
        return f"{type(check).__name__} has no id"
    if not isinstance(check.checkpoint, Checkpoint):
        return f"check {check.id!r}: checkpoint must be an aiart_release Checkpoint"
    if check.device not in DEVICES:
        return f"check {check.id!r}: device must be one of {', '.join(DEVICES)}"
    problem = _attribute_problem(check)
    if problem is not None:
        return f"check {check.id!r}: {problem}"
    if not (check.scans_files or check.scans_bundle):
        return f"check {check.id!r} implements neither scan_file (with kinds) nor scan_bundle"
    return _provides_problem(check)


def _attribute_problem(check: Check) -> str | None:
    from .bundle import KINDS

    if not isinstance(check.kinds, (set, frozenset)) or not all(
            isinstance(kind, str) for kind in check.kinds):
        return "kinds must be a set of file kinds"
    unknown = sorted(set(check.kinds) - set(KINDS))
    if unknown:
        # Such a check would never be given a file: silently unscanned.
        return f"kinds {unknown} are not file kinds ({', '.join(KINDS)})"
    if not isinstance(check.covers, (set, frozenset)) or not all(
            isinstance(c, Checkpoint) for c in check.covers):
        return "covers must be a set of Checkpoints"
    if not isinstance(check.version, str):
        return "version must be a string"
    if not isinstance(check.description, str):
        return "description must be a string"
    if type(check.batch_size) is not int or check.batch_size < 1:
        return "batch_size must be a whole number of at least 1"
    if not isinstance(check.reads_generated, bool):
        return "reads_generated must be True or False"
    if not isinstance(check.bundle_cacheable, bool):
        return "bundle_cacheable must be True or False"
    reads = check.bundle_reads
    if reads is not None:
        if not isinstance(reads, (set, frozenset)) or not all(isinstance(k, str) for k in reads):
            return "bundle_reads must be None or a set of file kinds"
        unknown = sorted(set(reads) - set(KINDS))
        if unknown:
            return f"bundle_reads {unknown} are not file kinds ({', '.join(KINDS)})"
    if not isinstance(check.findings, Mapping):
        return "findings must map finding ids to one-line meanings"
    return None


# The finding ids the JSON schema accepts (assessment.schema.json).
FINDING_ID = re.compile(r"(pii|sensitive|license|attribution|consent|provenance|image|media"
                        r"|model|misuse|docs|training|bundle|plugin|secret)\.[a-z0-9][a-z0-9._-]*")


def finding_problem(finding: object) -> str | None:
    """Why what a check returned is not a usable Finding, or None. Names
    types, never values: a value may be content the check was reading."""
    if not isinstance(finding, Finding):
        return f"a {type(finding).__name__}, not a Finding"
    wanted = (
        ("id", isinstance(finding.id, str) and FINDING_ID.fullmatch(finding.id) is not None,
         "an id like docs.missing-card"),
        ("severity", isinstance(finding.severity, Severity), "a Severity"),
        ("message", isinstance(finding.message, str) and finding.message != "", "a string"),
        ("location", _location_ok(finding.location), "a Location with a path"),
        ("checkpoint", finding.checkpoint is None or isinstance(finding.checkpoint, Checkpoint),
         "a Checkpoint"),
        ("artifact", finding.artifact is None or finding.artifact in ARTIFACTS,
         f"one of {', '.join(ARTIFACTS)}"),
        ("confidence", _number(finding.confidence) and 0 <= finding.confidence <= 1,
         "a number from 0 to 1"),
        ("count", finding.count is None or _whole(finding.count), "a whole number"),
        ("references", _strings(finding.references), "a tuple of strings"),
        ("also", _strings(finding.also), "a tuple of strings"),
    )
    for name, ok, what in wanted:
        if not ok:
            return f"a Finding whose {name} is not {what}"
    texts = ("remediation", "check", "fingerprint", "content")
    for name in texts:
        if not isinstance(getattr(finding, name), str):
            return f"a Finding whose {name} is not a string"
    for name in ("evidence", "context", "matched"):
        if getattr(finding, name) is not None and not isinstance(getattr(finding, name), str):
            return f"a Finding whose {name} is not a string"
    return None


def _location_ok(location: object) -> bool:
    if not isinstance(location, Location):
        return False
    return (isinstance(location.path, str) and location.path != ""
            and all(v is None or _whole(v) for v in (location.line, location.row))
            and (location.field is None or isinstance(location.field, str))
            and all(v is None or (isinstance(v, (tuple, list)) and all(map(_whole, v)))
                    for v in (location.lines, location.rows)))


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _strings(values: object) -> bool:
    return isinstance(values, (tuple, list)) and all(isinstance(v, str) for v in values)


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
