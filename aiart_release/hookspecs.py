"""The plugin contract of aiart-release.

Every hook is named ``aiart_release_*`` so that a stray function is never
taken for a hook. Most hooks receive a ``register`` callback through which a
plugin contributes things; plugins are loaded from the ``aiart_release``
entry-point group, built-ins included. Each hook is documented in
``docs/plugins.md``.
"""

from __future__ import annotations

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("aiart_release")
hookimpl = HookimplMarker("aiart_release")


@hookspec
def aiart_release_register_checks(register):
    """Contribute checks.

    ``register(check)`` takes an instance of :class:`aiart_release.checks.Check`
    (a subclass with ``id``, ``checkpoint``, ``kinds``, ``device`` and one or
    both of ``scan_file`` / ``scan_bundle``). Check ids must be unique across
    all plugins; a duplicate is reported as a plugin failure. Returns nothing.
    """


@hookspec
def aiart_release_register_reporters(register):
    """Contribute output formats.

    ``register(reporter)`` takes an :class:`aiart_release.report.Reporter`: a
    ``name`` used by ``--format NAME``, a one-line ``description`` and a
    ``render(assessment, options) -> str`` function. Returns nothing.
    """


@hookspec
def aiart_release_register_rules(register):
    """Contribute misuse rule packs.

    ``register(source)`` takes a path to a YAML rule pack (a ``pathlib.Path``
    or an ``importlib.resources`` traversable) or an already-parsed pack as a
    dict. Packs are validated against the rule schema when loaded; an invalid
    pack is reported and skipped. Returns nothing.
    """


@hookspec
def aiart_release_register_recognizers(register):
    """Contribute Presidio recognizers to the personal-data check.

    ``register(factory)`` takes a zero-argument callable that returns one
    ``presidio_analyzer.EntityRecognizer`` or a list of them. The factory is
    called only when the personal-data check has text to analyse, so that a
    plugin need not import Presidio (and spaCy) when it is loaded. Returns
    nothing.
    """


@hookspec(firstresult=True)
def aiart_release_classify_file(file):
    """Say what kind of file this is.

    ``file`` is an :class:`aiart_release.bundle.FileInfo` with ``path`` (the
    bundle-relative POSIX path), ``name``, ``suffix`` (lower case, with the
    dot) and ``head`` (the first bytes, read on first use). Return one of the
    kinds in :data:`aiart_release.bundle.KINDS`, or ``None`` to let the next
    plugin answer. The first non-``None`` answer wins; the built-in classifier
    runs last. An answer outside ``KINDS`` is reported as a plugin failure and
    the next classifier is asked.
    """


@hookspec
def aiart_release_register_commands(cli):
    """Contribute commands to the ``aiart-release`` command line.

    ``cli`` is a :class:`click.Group`: add commands to it with
    ``@cli.command()``, ``@cli.group()`` or ``cli.add_command(command)``, as
    with simonw/llm's ``register_commands``. Called only when a command line
    is built that needs the plugins' commands (``--help``, or a name the core
    does not have), so a plugin that only adds checks costs nothing here. A
    command named like a built-in one, or like another plugin's, is reported
    as a plugin failure and left out; a hook that raises is reported and the
    other plugins' commands still arrive. Import heavy libraries inside the
    command, not in this hook. Returns nothing.
    """
