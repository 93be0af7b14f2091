"""Shared readers of bundle and configuration files, named for what they
read: ``text`` (bounded lines, decoding, the finding for unreadable text),
``tables`` (CSV, TSV, JSON Lines, JSON arrays, Parquet and Arrow, row by
row) and ``yamlfile`` (YAML with positions for error messages, schema
validation). Checks and the core read files through these, so every reader
keeps the same limits."""
