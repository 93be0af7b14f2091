"""Built-in plugin: model-file safety. Pickle-based weights are read as
opcodes (never unpickled), safetensors headers are validated, Keras Lambda
layers and code that unpickles what it loads are flagged, and GGUF
metadata becomes facts for the card and licence checks. See
docs/model-files.md."""

from __future__ import annotations

from aiart_release import hookimpl


@hookimpl
def aiart_release_register_checks(register):
    from .check import GGUFMetadataFacts, ModelFiles, UnsafeLoadCode

    register(ModelFiles())
    register(UnsafeLoadCode())
    register(GGUFMetadataFacts())
