"""Shared readers of bundle and configuration files, named for what they
read: ``text`` (bounded lines, decoding, the finding for unreadable text),
``tables`` (CSV, TSV, JSON Lines, JSON arrays, Parquet and Arrow, row by
row), ``yamlfile`` (YAML with positions for error messages, schema
validation, configuration files read as untrusted), ``jsonfile`` (JSON with
its depth checked before parsing), ``tomlfile``, ``safetensors`` (a weights
file's header) and ``media`` (image and sound metadata). ``limits`` holds
the limits they all keep (size, depth, YAML aliases, number of values) and
the ``bundle.too-complex`` finding. Checks and the core read files through
these, so every reader keeps the same limits."""
