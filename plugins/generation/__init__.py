"""Built-in plugin: freshly generated samples. When the bundle declares a
generator (``model:`` in aiart-release.yaml) and the user passes
``--trust-bundle-code``, the generator runs in a child process on the
accelerator and its samples are compared with the training images. Without
both, nothing from the bundle is imported or run. See docs/model-files.md."""

from __future__ import annotations

from aiart_release import hookimpl


@hookimpl
def aiart_release_register_checks(register):
    from .check import Generation

    register(Generation())
