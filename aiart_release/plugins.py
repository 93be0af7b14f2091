"""The plugin manager: loads every plugin, built-in or not, from the
``aiart_release`` entry-point group and collects what they register.

A plugin that fails to import, declares a hook that does not exist, raises
while registering (``SystemExit`` and any other ``BaseException`` too, but
the user's Ctrl-C), or registers something of the wrong type is recorded as
a :class:`PluginFailure`: the CLI warns and the assessment carries a
``plugin.load-failed`` finding, but ``--help``, ``plugins`` and ``assess``
keep working. Only the bad contribution is skipped: a plugin's other checks,
formats, rule packs and recognizers still arrive.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import field
from functools import cache
from types import ModuleType
from typing import Any

import pluggy

from . import hookspecs
from .bundle import KINDS
from .checks import Check, validate_check
from .records import dataclass
from .watchdog import STOP

# How long a third-party classifier may take on one file.
CLASSIFY_SECONDS = 10.0

ENTRY_POINT_GROUP = "aiart_release"
PROJECT_DIST = "aiart-release"
# Extra plugin modules to load, comma-separated, for plugins that are not
# packaged (like pytest's PYTEST_PLUGINS).
ENV_EXTRA_PLUGINS = "AIART_RELEASE_PLUGINS"
# Entry-point names not to load, comma-separated: a way around a broken plugin.
ENV_DISABLED_PLUGINS = "AIART_RELEASE_DISABLE_PLUGINS"


class UnknownKind(ValueError):
    """A classifier answered a kind that is not one of the documented kinds."""

    def __init__(self, kind: object, path: str):
        super().__init__(
            f"answered kind {kind!r} for {path!r}, which is not one of the documented kinds "
            f"({', '.join(KINDS)}); the next classifier was asked"
        )


@dataclass
class PluginFailure:
    """A plugin that could not be loaded or failed while registering."""

    plugin: str
    stage: str
    error: str
    traceback: str = ""

    @property
    def summary(self) -> str:
        return f"plugin {self.plugin!r} failed ({self.stage}): {self.error}"


@dataclass
class PluginInfo:
    """One loaded (or failed) plugin, as ``aiart-release plugins`` lists it."""

    name: str
    module: str
    dist: str | None = None
    version: str | None = None
    builtin: bool = False
    hooks: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    reporters: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    rule_packs: int = 0
    recognizers: int = 0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "distribution": self.dist,
            "version": self.version,
            "builtin": self.builtin,
            "hooks": self.hooks,
            "checks": self.checks,
            "reporters": self.reporters,
            "commands": self.commands,
            "rule_packs": self.rule_packs,
            "recognizers": self.recognizers,
            "error": self.error,
        }


@dataclass
class Registry:
    """Everything the loaded plugins contributed."""

    pm: pluggy.PluginManager
    plugins: list[PluginInfo] = field(default_factory=list)
    failures: list[PluginFailure] = field(default_factory=list)
    checks: dict[str, Check] = field(default_factory=dict)
    check_owner: dict[str, str] = field(default_factory=dict)
    reporters: dict[str, Any] = field(default_factory=dict)
    rule_sources: list[tuple[str, Any]] = field(default_factory=list)
    recognizer_factories: list[tuple[str, Callable[[], Any]]] = field(default_factory=list)
    # Filled by collect_commands, only when a command line needs them.
    commands: dict[str, Any] | None = None
    # Whether the register hooks have been called (collect_registrations).
    collected: bool = False
    _classify_order: list[tuple[str, Callable[..., Any], float | None]] | None = field(
        default=None, repr=False)

    def plugin(self, name: str) -> PluginInfo | None:
        return next((p for p in self.plugins if p.name == name), None)

    def classify(self, file: Any) -> str | None:
        """Ask the classification hooks, first answer wins.

        A classifier that raises, or answers a kind that is not one of the
        documented :data:`~aiart_release.bundle.KINDS`, is recorded as a
        plugin failure and the next classifier is asked: an unknown kind
        would reach no check, so the file would be silently left unscanned.
        """
        from .watchdog import guarded

        for plugin, function, budget in self._classifiers():
            # A classifier must not stop the walk, by raising (even
            # SystemExit); a third-party one not by taking forever either.
            # The built-in ones have no time budget, and are called without
            # the watchdog's timer: it cost two thirds of the walk of 10,000
            # files (two classifiers a file).
            if budget is None:
                try:
                    kind, exc = function(file=file), None
                except STOP:
                    raise
                except BaseException as caught:  # noqa: BLE001 - fail closed
                    kind, exc = None, caught
            else:
                kind, exc = guarded(budget, lambda function=function: function(file=file))
            if exc is not None:
                self._fail(plugin, "classify_file", exc)
                continue
            if kind is None:
                continue
            if kind not in KINDS:
                self._fail(plugin, "classify_file", UnknownKind(kind, file.path))
                continue
            return kind
        return None

    def _classifiers(self) -> list[tuple[str, Callable[..., Any], float | None]]:
        """(plugin, function, time budget) of each classification hook, in
        the order they are asked (pluggy calls the last registered first);
        worked out once, on the first file."""
        if self._classify_order is None:
            hook = self.pm.hook.aiart_release_classify_file
            self._classify_order = [
                (impl.plugin_name, impl.function, self._classify_budget(impl.plugin_name))
                for impl in reversed(hook.get_hookimpls())]
        return self._classify_order

    def _classify_budget(self, plugin: str) -> float | None:
        info = self.plugin(plugin)
        return None if info is not None and info.builtin else CLASSIFY_SECONDS

    def _fail(self, plugin: str, stage: str, exc: BaseException, every: bool = False) -> None:
        """Record a plugin failure: once per plugin and stage (a classifier
        fails on every file alike), or, with ``every``, once per distinct
        error (each bad registration)."""
        import traceback

        error = f"{type(exc).__name__}: {exc}".strip()
        if any(f.plugin == plugin and f.stage == stage and (not every or f.error == error)
               for f in self.failures):
            return
        self.failures.append(
            PluginFailure(plugin, stage, error, "".join(traceback.format_exception(exc)))
        )
        info = self.plugin(plugin)
        if info is not None and info.error is None:
            info.error = error


def _split_env(name: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, "").split(",") if part.strip()]


@dataclass(frozen=True)
class EntryPoint:
    """One entry point of the ``aiart_release`` group, and the distribution
    (name and version, from its METADATA) that declares it."""

    name: str
    value: str
    dist: str | None = None
    version: str | None = None

    def load(self) -> Any:
        """The object the entry point names (``module`` or ``module:attr``),
        imported as ``importlib.metadata.EntryPoint.load`` does."""
        match = _ENTRY_VALUE.match(self.value)
        if match is None:
            raise ValueError(f"entry point {self.value!r} is not 'module' or 'module:attribute'")
        loaded = importlib.import_module(match["module"])
        for attribute in filter(None, (match["attr"] or "").split(".")):
            loaded = getattr(loaded, attribute)
        return loaded


# importlib.metadata.EntryPoint.pattern
_ENTRY_VALUE = re.compile(
    r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")


def _entry_points() -> list[EntryPoint]:
    seen: set[tuple[str, str]] = set()
    found = []
    for ep in _discover():
        key = (ep.name, ep.value)
        if key not in seen:
            seen.add(key)
            found.append(ep)
    # Built-ins first, so that third-party plugins registered later are
    # asked first by firstresult hooks and can override them.
    return sorted(found, key=lambda ep: (ep.dist != PROJECT_DIST, ep.name))


def _discover() -> list[EntryPoint]:
    """The group's entry points, found as ``importlib.metadata`` finds them
    (the ``*.dist-info`` and ``*.egg-info`` folders of each ``sys.path``
    folder in turn, the first distribution of a name wins), without
    importing it: ``importlib.metadata`` and the mail parser it reads
    METADATA with take 20 to 30 ms, a tenth of a cached pre-commit hook.
    Anything this reading does not cover (a zip or an egg on the path, a
    file it cannot read) is left to ``importlib.metadata``."""
    try:
        return _read_entry_points()
    except (OSError, UnicodeDecodeError, ValueError):
        return _metadata_entry_points()


class _Unusual(ValueError):
    """A path entry the plain reading does not cover."""


_METADATA_FOLDER = re.compile(r"(?P<stem>.+)\.(?P<kind>dist|egg)-info", re.IGNORECASE)


def _read_entry_points() -> list[EntryPoint]:
    taken: set[str] = set()
    found: list[EntryPoint] = []
    for folder in sys.path:
        root = folder or "."
        if not os.path.isdir(root):
            if os.path.exists(root):
                raise _Unusual(f"{root} is not a folder")  # a zip: importlib.metadata's
            continue
        for entry in os.listdir(root):
            match = _METADATA_FOLDER.fullmatch(entry)
            if entry.lower().endswith(".egg"):
                raise _Unusual(f"an egg: {entry}")
            if match is None:
                continue
            name = _normalized(match["stem"].partition("-")[0])
            if name in taken:
                continue
            taken.add(name)
            path = os.path.join(root, entry)
            group = _group_of(path)
            if group:
                dist, version = _headers(path, match["kind"].lower())
                found.extend(EntryPoint(n, v, dist, version) for n, v in group)
    return found


def _group_of(path: str) -> list[tuple[str, str]]:
    """``(name, value)`` of this group in ``entry_points.txt``, read as
    ``importlib.metadata`` reads it (a section per ``[name]``, ``#``
    comments, ``name = value``)."""
    try:
        with open(os.path.join(path, "entry_points.txt"), encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return []
    section, pairs = None, []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == ENTRY_POINT_GROUP:
            name, equals, value = line.partition("=")
            if not equals:
                raise _Unusual(f"not 'name = value' in {path}: {line!r}")
            pairs.append((name.strip(), value.strip()))
    return pairs


def _headers(path: str, kind: str) -> tuple[str | None, str | None]:
    """Name and version from the first headers of METADATA (PKG-INFO)."""
    values: dict[str, str] = {}
    with open(os.path.join(path, "METADATA" if kind == "dist" else "PKG-INFO"),
              encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                break  # the headers end at the first empty line
            key, colon, value = line.partition(":")
            if colon and key in ("Name", "Version") and key not in values:
                values[key] = value.strip()
    return values.get("Name"), values.get("Version")


def _metadata_entry_points() -> list[EntryPoint]:
    from importlib import metadata

    found = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        name, version = (dist.metadata["Name"], dist.version) if dist is not None else (None, None)
        found.append(EntryPoint(ep.name, ep.value, name, version))
    return found


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


# "detect_secrets-1.5.0.dist-info", "faker-37.1.0.dist-info": name and version.
_DIST_INFO = re.compile(r"(?P<name>[^-]+)-(?P<version>[^-]+?)(?:-py[^-]*)?\.(?:dist|egg)-info")


@cache
def _installed() -> dict[str, str]:
    """Normalized distribution name -> version, from the names of the
    ``*.dist-info`` folders on ``sys.path`` (the first of a name wins, as
    for imports): one listing per folder, no metadata file read."""
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in sorted(names):
            match = _DIST_INFO.fullmatch(entry)
            if match:
                found.setdefault(_normalized(match["name"]), match["version"])
    return found


def installed_version(name: str) -> str | None:
    """The installed version of distribution ``name``, or None. What a
    cache of data derived from a package is keyed by (the secrets masker's
    patterns, the name lexicons), without importing ``importlib.metadata``
    (20 ms, a tenth of a cached pre-commit hook's run) in the usual case; a
    distribution whose folder name holds no version is asked of
    ``importlib.metadata``."""
    version = _installed().get(_normalized(name))
    if version is not None:
        return version
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def build_registry(extra: Iterable[tuple[str, object]] = (), *,
                   collect: bool = True) -> Registry:
    """Load all plugins and collect their registrations.

    ``extra`` is ``(name, plugin_object)`` pairs registered after the entry
    points (tests use it; ``AIART_RELEASE_PLUGINS`` names modules the same way).
    With ``collect=False`` the plugins are loaded but their ``register`` hooks
    are not called yet (``collect_registrations`` does that): ``--help`` needs
    only the plugins' commands, not their checks.
    """
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    registry = Registry(pm=pm)
    disabled = set(_split_env(ENV_DISABLED_PLUGINS))

    for ep in _entry_points():
        if ep.name in disabled:
            continue
        info = PluginInfo(
            name=ep.name,
            module=ep.value,
            dist=ep.dist,
            version=ep.version,
            builtin=ep.dist == PROJECT_DIST,
        )
        registry.plugins.append(info)
        try:
            plugin = ep.load()
        except STOP:
            raise
        except BaseException as exc:  # noqa: BLE001 - SystemExit in a plugin must not end the CLI
            registry._fail(ep.name, "load", exc)
            continue
        _register(registry, ep.name, plugin)

    for module_name in _split_env(ENV_EXTRA_PLUGINS):
        info = PluginInfo(name=module_name, module=module_name)
        registry.plugins.append(info)
        try:
            module: ModuleType = importlib.import_module(module_name)
        except STOP:
            raise
        except BaseException as exc:  # noqa: BLE001
            registry._fail(module_name, "load", exc)
            continue
        _register(registry, module_name, module)

    for name, plugin in extra:
        registry.plugins.append(PluginInfo(name=name, module=repr(plugin)))
        _register(registry, name, plugin)

    if collect:
        collect_registrations(registry)
    return registry


def collect_registrations(registry: Registry) -> None:
    """Call the ``register`` hooks of a registry built with ``collect=False``;
    once: a second call does nothing."""
    if not registry.collected:
        registry.collected = True
        _collect(registry)


def _register(registry: Registry, name: str, plugin: object) -> None:
    pm = registry.pm
    try:
        pm.register(plugin, name=name)
        # A hookimpl whose name matches no hookspec (a typo) is an error, not
        # something to ignore silently.
        pm.check_pending()
    except STOP:
        raise
    except BaseException as exc:  # noqa: BLE001 - a plugin's SystemExit must not end the CLI
        if pm.is_registered(plugin):
            pm.unregister(plugin)
        registry._fail(name, "register", exc)
        return
    info = registry.plugin(name)
    if info is not None:
        info.hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])


def _collect(registry: Registry) -> None:
    """Call each ``register`` hook once per plugin, so that one plugin's error
    does not lose the others' contributions. What a plugin registers is
    checked at once: a contribution of the wrong type is recorded as a
    failure and skipped, and the plugin's next ones are still taken."""
    hooks = registry.pm.hook

    def call_each(hook: Any, stage: str, accept: Callable[[str, Any], str | None]) -> None:
        # Registration order: built-ins first, so on a clash the built-in
        # keeps its id and the newcomer is reported.
        for impl in hook.get_hookimpls():
            plugin = impl.plugin_name

            def register(thing: Any, plugin: str = plugin) -> None:
                try:
                    problem = accept(plugin, thing)
                except STOP:
                    raise
                except BaseException as exc:  # noqa: BLE001 - an attribute that raises
                    problem = f"{type(exc).__name__} while reading the {type(thing).__name__}"
                if problem is not None:
                    registry._fail(plugin, stage, ValueError(problem), every=True)

            try:
                impl.function(register=register)
            except STOP:
                raise
            except BaseException as exc:  # noqa: BLE001 - fail closed, even on SystemExit
                registry._fail(plugin, stage, exc, every=True)

    def accept_check(plugin: str, check: Any) -> str | None:
        problem = validate_check(check)
        if problem is None and check.id in registry.checks:
            owner = registry.check_owner[check.id]
            problem = f"check id {check.id!r} is already registered by plugin {owner!r}"
        if problem is None:
            registry.checks[check.id] = check
            registry.check_owner[check.id] = plugin
            _info(plugin).checks.append(check.id)
        return problem

    def accept_reporter(plugin: str, reporter: Any) -> str | None:
        name = getattr(reporter, "name", None)
        if not isinstance(name, str) or not name or not callable(
                getattr(reporter, "render", None)):
            return (f"a {type(reporter).__name__} is not a Reporter (needs a name that is a "
                    "string, and a callable render)")
        if name in registry.reporters:
            return f"format {name!r} is already registered"
        registry.reporters[name] = reporter
        _info(plugin).reporters.append(name)
        return None

    def accept_rules(plugin: str, source: Any) -> str | None:
        if not (isinstance(source, (Mapping, str, os.PathLike))
                or callable(getattr(source, "read_text", None))):
            return (f"a {type(source).__name__} is not a rule pack (a mapping, a path or an "
                    "importlib.resources traversable)")
        registry.rule_sources.append((plugin, source))
        _info(plugin).rule_packs += 1
        return None

    def accept_recognizer(plugin: str, factory: Any) -> str | None:
        if not callable(factory):
            return f"a {type(factory).__name__} is not a callable recognizer factory"
        registry.recognizer_factories.append((plugin, factory))
        _info(plugin).recognizers += 1
        return None

    def _info(plugin: str) -> PluginInfo:
        # A plugin registered without a PluginInfo (not through build_registry)
        # still contributes; its counts go nowhere.
        return registry.plugin(plugin) or PluginInfo(name=plugin, module="")

    call_each(hooks.aiart_release_register_checks, "register_checks", accept_check)
    call_each(hooks.aiart_release_register_reporters, "register_reporters", accept_reporter)
    call_each(hooks.aiart_release_register_rules, "register_rules", accept_rules)
    call_each(hooks.aiart_release_register_recognizers, "register_recognizers",
              accept_recognizer)
    for info in registry.plugins:
        info.checks.sort()
        info.reporters.sort()


def collect_commands(registry: Registry, reserved: Iterable[str]) -> dict[str, Any]:
    """The click commands plugins add through ``aiart_release_register_commands``.

    Each plugin is given a group of its own, so that what it adds is known to
    be its own, and so that one plugin cannot replace a command of the core
    (``reserved``) or of another plugin: such a name is recorded as a plugin
    failure and left out. A hook that raises is recorded too; the others'
    commands still arrive. Collected once per registry: the CLI asks only
    when it needs more than its own commands (``--help``, an unknown name).
    """
    if registry.commands is not None:
        return registry.commands
    import click  # the CLI has it loaded already; assess in a worker never gets here

    taken = set(reserved)
    registry.commands = {}
    for impl in registry.pm.hook.aiart_release_register_commands.get_hookimpls():
        group = click.Group(name=impl.plugin_name)
        try:
            impl.function(cli=group)
        except STOP:
            raise
        except BaseException as exc:  # noqa: BLE001 - a plugin's SystemExit must not end the CLI
            registry._fail(impl.plugin_name, "register_commands", exc)
            continue
        added, clashes = [], []
        for name, command in group.commands.items():
            (clashes if name in taken else added).append(name)
            if name not in taken:
                registry.commands[name] = command
                taken.add(name)
        info = registry.plugin(impl.plugin_name)
        if info is not None:
            info.commands = sorted(added)
        if clashes:
            registry._fail(impl.plugin_name, "register_commands", ValueError(
                f"command name(s) {', '.join(map(repr, sorted(clashes)))} already taken"))
    return registry.commands
