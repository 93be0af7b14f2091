"""Built-in plugin: training resources (the field guide's third checkpoint).

The ``training`` check estimates what training cost in energy and CO2e by
the Machine Learning Emissions Calculator's method, compares it with the
model card's ``co2_eq_emissions``, and asks whether a pre-trained model
could have been fine-tuned; the ``training`` command prints the estimate and
a ``co2_eq_emissions`` block to paste into the card (docs/training.md).
"""

from __future__ import annotations

from aiart_release import hookimpl


@hookimpl
def aiart_release_register_checks(register):
    from .check import Training

    register(Training())


@hookimpl
def aiart_release_register_commands(cli):
    from .command import training

    cli.add_command(training)
