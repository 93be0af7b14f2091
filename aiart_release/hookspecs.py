"""The plugin contract of aiart-release.

Every hook is named ``aiart_release_*`` so that a stray function is never
taken for a hook. Most hooks receive a ``register`` callback through which a
plugin contributes things; plugins are loaded from the ``aiart_release``
entry-point group, built-ins included. Each hook is documented in
``docs/plugins.md``.

What a ``register`` callback is given is checked at once: something of the
wrong type (a class instead of an instance, a reporter whose ``render`` is
not callable, a rule pack that is neither a mapping nor a path) is reported
as a plugin failure (``plugin.load-failed``) and skipped, and the plugin's
other contributions still arrive. A hook that raises, ``SystemExit``
included, is reported the same way.
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


@hookspec
def aiart_release_register_maskers(register):
    """Contribute detectors to the masking gate.

    Every piece of text taken from the bundle (finding messages, paths,
    column and field names, quotes, evidence, reasons) passes one gate,
    :func:`aiart_release.masking.redact`, before anything shows or caches
    it, unless the user passes ``--show-pii``. The core finds what has a
    shape (e-mail addresses, phone numbers, ids, card numbers, IBANs, IP
    addresses, keys and tokens); a plugin adds what it knows how to find,
    names of people above all.

    ``register(masker)`` takes a callable ``masker(text) -> iterable of
    (start, end, kind)``: each span ``text[start:end]`` is masked in the
    style of ``kind`` (``email``, ``phone``, ``number``, ``id``, ``url``,
    ``handle``, ``words``, ``secret``; an unknown kind is masked as words).
    The gate runs on short strings, once per distinct string, in the main
    process: keep a masker fast and free of heavy imports (no NLP model);
    load data on the first call, not in this hook. A masker that raises or
    answers anything else fails closed: the whole text is masked and the
    failure is reported as a ``plugin.masker-failed`` finding. Returns nothing.
    """


@hookspec(firstresult=True)
def aiart_release_credits(root, inventory, config):
    """The release's credits as Markdown (the text of CREDITS.md: the people
    to credit named in full, without contact data), or None. The release
    card (``export markdown``) embeds the first answer; the built-in
    provenance plugin gives it."""
