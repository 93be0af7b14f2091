"""Built-in plugin: memorisation and near-copies. Sample outputs compared
with the training images by perceptual hash (``hashing``, ``search``),
near-duplicate clusters inside the dataset, and long word runs a text
model's samples share with its training text. See docs/model-files.md."""

from __future__ import annotations

from aiart_release import hookimpl


@hookimpl
def aiart_release_register_checks(register):
    from .check import Memorisation

    register(Memorisation())
