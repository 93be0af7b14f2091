"""Built-in output formats: the terminal report and JSON.

Reporter modules are imported only when their format is rendered, so that
loading this plugin stays cheap.
"""

from __future__ import annotations

from aiart_release import hookimpl
from aiart_release.report import Reporter


def _terminal(assessment, options):
    from aiart_release.report import terminal

    return terminal.render(assessment, options)


def _json(assessment, options):
    from aiart_release.report import json_report

    return json_report.render(assessment, options)


@hookimpl
def aiart_release_register_reporters(register):
    register(Reporter("terminal", "Human-readable report grouped by checkpoint (default)",
                      _terminal))
    register(Reporter("json", "The assessment as JSON (schemas/assessment.schema.json)", _json))
