"""What every command of one invocation shares, without the command line's
library: the plugins (loaded once), whether tracebacks are shown, the
configuration and policy of a run, the run itself, and how an invocation
ends (its exit code, one line for a user's mistake, no traceback for ours
unless asked).

The pre-commit hook runs on every commit, and importing click and the
command definitions is a tenth of its start-up: ``entry.py`` runs the hook
through this module and hook_command.py alone, and every other command
through cli.py, which uses the same functions.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .watchdog import Terminated

EXIT_OK, EXIT_GATE, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class Refused(Exception):
    """A user's mistake (a misspelt option value, a configuration that
    cannot be used): one line, exit code 2."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def say(line: str) -> None:
    """One line on standard error (warnings, notes, errors)."""
    sys.stderr.write(f"{line}\n")
    sys.stderr.flush()


def refusal_line(message: str) -> str:
    """How a refusal is shown; a path from the bundle may name someone."""
    from .masking import redact

    return f"aiart-release: error: {redact(message)}"


# --- tracebacks -------------------------------------------------------------

_debug = [False]


def set_debug(on: bool = True) -> None:
    """``--debug`` was given: show tracebacks (of internal errors, of a
    failed plugin)."""
    _debug[0] = on


def debugging() -> bool:
    return _debug[0] or bool(os.environ.get("AIART_RELEASE_DEBUG"))


# --- the plugins ------------------------------------------------------------

_REGISTRY = None


def reset() -> None:
    """Forget what an earlier invocation in this process loaded."""
    global _REGISTRY
    _REGISTRY = None
    _debug[0] = False


def plugin_registry(warn: bool = True):
    """The plugins and all they register, loaded once per invocation; warns
    about the ones that failed."""
    from .plugins import collect_registrations

    registry = loaded_plugins(warn)
    before = len(registry.failures)
    collect_registrations(registry)
    if warn:
        warn_failures(registry.failures[before:])
    return registry


def loaded_plugins(warn: bool = True):
    """The plugins, loaded once per invocation, their register hooks perhaps
    not called yet: what listing the plugins' commands needs."""
    global _REGISTRY
    if _REGISTRY is None:
        from .plugins import build_registry

        _REGISTRY = build_registry(collect=False)
        if warn:
            warn_failures(_REGISTRY.failures)
    return _REGISTRY


def warn_failures(failures) -> None:
    debug = debugging()
    for failure in failures:
        say(f"aiart-release: warning: {failure.summary}")
        if debug and failure.traceback:
            say(failure.traceback)


# --- a run --------------------------------------------------------------------

def severity(value: str | None):
    """``--fail-on``'s value as a Severity (None: no threshold)."""
    from .findings import Severity

    if value is None or value == "none":
        return None
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise Refused(str(exc)) from None


def gate_threshold(fail_on: str | None, config) -> str | None:
    """The severity that fails the gate: ``--fail-on``, else ``fail_on`` of
    the configuration, else the one default rule (config.default_fail_on)."""
    from .config import default_fail_on

    return fail_on or config.fail_on or default_fail_on(config)


def setup(path: Path, fmt: str, device: str, config_path: Path | None,
          policy_path: Path | None, *, keep_derived: bool = False):
    """The plugins, the configuration and the policy for assessing ``path``;
    any of them wrong is a refusal. ``keep_derived``: the run keeps results
    in the cache folder, so what is derived from installed packages (the
    parsed YAML data, the name lexicons) may be kept there from here on,
    before the plugins read theirs as they register."""
    from .config import ConfigError, load_config
    from .device import DeviceError, parse_device
    from .facts import declared_facts
    from .policy import PolicyError, load_policy

    if keep_derived:
        from .cache import allow_derived
        from .engine import safe_cache_dir

        allow_derived(safe_cache_dir(None, path))
    registry = plugin_registry()
    if fmt not in registry.reporters:
        raise Refused(
            f"unknown format {fmt!r} (available: {', '.join(sorted(registry.reporters))})"
        )
    try:
        parse_device(device)
    except DeviceError as exc:
        raise Refused(str(exc)) from None
    try:
        config = load_config(path, config_path)
        policy = load_policy(policy_path or config.policy,
                             facts=declared_facts(registry.checks.values()))
    except (ConfigError, PolicyError) as exc:
        raise Refused(str(exc)) from None
    return registry, config, policy


def options(**given):
    """The engine's options, with a progress bar on an interactive stderr."""
    from .engine import Options

    progress = ProgressBar() if sys.stderr.isatty() else None
    return Options(progress=progress, debug=debugging(), **given)


def assess(path: Path, registry, config, policy, run_options):
    """``pipeline.assess``, its refusals as refusals, the errors it met
    shown under --debug."""
    from . import pipeline
    from .bundle import BundleError
    from .executors import ExecutorError
    from .policy import PolicyError

    try:
        assessment = pipeline.assess(path, registry, config, policy, run_options)
    except (BundleError, PolicyError, ExecutorError) as exc:
        raise Refused(str(exc)) from None
    finally:
        if run_options.progress is not None:
            run_options.progress.stop()
    if debugging():
        for error in assessment.errors:
            say(error)
    return assessment


class ProgressBar:
    """A rich progress bar on stderr, shown only once a run has taken about a
    second, and only when stderr is a terminal."""

    DELAY = 1.0

    def __init__(self) -> None:
        self._progress = None
        self._task = None
        self._total = 0
        self._done = 0
        self._rows = 0
        self._started = time.monotonic()

    def start(self, total: int) -> None:
        self._total = total

    def add_rows(self, n: int) -> None:
        """Table rows read (parts of large tables): shown as rows a second
        across every worker, local or on a cluster."""
        self._rows += n

    def advance(self, n: int = 1, note: str = "") -> None:
        self._done += n
        if self._progress is None and time.monotonic() - self._started > self.DELAY:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._progress = Progress(
                TextColumn("assessing"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.description}", style="dim"),
                console=Console(stderr=True), transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("", total=self._total, completed=self._done)
        if self._progress is not None:
            from .masking import redact  # the file being read: its name may be personal data

            elapsed = max(time.monotonic() - self._started, 1e-9)
            rate = f"{self._rows / elapsed:,.0f} rows/s  " if self._rows else ""
            self._progress.update(self._task, completed=self._done,
                                  description=rate + redact(note)[-50:])

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()


# --- how an invocation ends ---------------------------------------------------

def ended(invoke: Callable[[], int | None], debug: bool) -> int:
    """Run ``invoke`` and give the invocation's exit code, whatever it
    raised: a refusal is one line and 2, a stop asked for by the user or the
    system is said and its code, anything else is our own defect: its type
    and place (its message may quote bundle content), the traceback only
    under ``debug``, and 3."""
    try:
        code = invoke()
    except Refused as exc:
        say(refusal_line(exc.message))
        code = exc.exit_code
    except Terminated:
        say("aiart-release: terminated")
        code = 143
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        say("aiart-release: interrupted")
        code = 130
    except Exception as exc:  # the one place an unexpected error is caught
        import traceback

        if debug:
            traceback.print_exc()
        else:
            frames = traceback.extract_tb(exc.__traceback__)
            where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
            say(f"aiart-release: internal error: {type(exc).__name__}{where} "
                "(run with --debug for the traceback)")
        code = EXIT_INTERNAL
    return code if isinstance(code, int) else 0
