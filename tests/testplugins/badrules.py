"""A plugin whose rule pack is invalid: it must be reported and skipped."""

from aiart_release import hookimpl


@hookimpl
def aiart_release_register_rules(register):
    register({"pack": "broken", "version": "1", "rules": [
        {"id": "misuse.broken", "title": "t", "when": {"modality": {"has": "image"}},
         "likelihood": "often", "impact": "high", "mitigations": ["m"]}]})
