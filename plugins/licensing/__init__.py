"""Built-in plugin: licence identification, consistency and propagation.

Licence texts are identified offline against fingerprints of the SPDX
License List (``rules/license_index.json.gz``) and the AI licences SPDX
lacks (``rules/licenses.yaml``).
"""

from __future__ import annotations

from aiart_release import hookimpl


@hookimpl
def aiart_release_register_checks(register):
    from .check import Licenses

    register(Licenses())
