"""The estimate, by the Machine Learning Emissions Calculator's method
(Lacoste et al., 2019):

    energy (kWh)    = power (W) × count × hours × PUE / 1000
    emissions (kg)  = energy × carbon intensity (gCO2e/kWh) / 1000

The central figure is the calculator's own: the hardware at its rated power
(TDP), the place's central intensity and the data centre's PUE. The range
around it says how sure that is: the hardware drawing from half its rated
power (GPUs rarely sit at TDP through a training run) to all of it, the
lowest and highest power of the rows a hardware name may mean, the PUE
from its low to its high bound, and the spread of the place's intensity
figures.
"""

from __future__ import annotations

from aiart_release.records import dataclass

from .tables import Hardware, Intensity

# Share of rated power a GPU draws while training: the range's bounds.
UTILISATION = (0.5, 1.0)
# PUE when the table and the release say nothing (docs/training.md): a
# hyperscale cloud region reports about 1.1; the Uptime Institute's 2021
# survey average across data centres was 1.57; a workstation at home has no
# data-centre overhead (1.0).
CLOUD_PUE = (1.1, 1.1, 1.6)  # central, low, high
LOCAL_PUE = (1.0, 1.0, 1.6)

# Equivalents. US EPA: a typical passenger vehicle emits about 400 g CO2 per
# mile (249 g/km). Strubell, Ganesh and McCallum (2019): training one large
# transformer with neural architecture search, 626,155 lbs CO2e (about
# 284 t), "five cars" in their lifetime (fuel included, 126,000 lbs each).
# Stated emissions further than this from the estimate, either way, disagree.
MISMATCH_FACTOR = 3.0
CAR_KG_PER_KM = 0.249
FIVE_CARS_KG = 284_019.0
CAR_LIFETIME_KG = 57_153.0
EPA_REFERENCE = "https://www.epa.gov/greenvehicles/greenhouse-gas-emissions-typical-passenger-vehicle"
STRUBELL_REFERENCE = "https://arxiv.org/abs/1906.02243"
LACOSTE_REFERENCE = "https://arxiv.org/abs/1910.09700"


@dataclass(frozen=True)
class Estimate:
    hardware: tuple[Hardware, ...]
    count: int
    hours: float
    place: Intensity
    pue: tuple[float, float, float]  # central, low, high
    kwh: tuple[float, float, float]
    kg: tuple[float, float, float]

    @property
    def hardware_label(self) -> str:
        names = " or ".join(h.name for h in self.hardware)
        watts = sorted({h.watts for h in self.hardware})
        power = f"{watts[0]:g} W" if len(watts) == 1 else f"{watts[0]:g}–{watts[-1]:g} W"
        return f"{self.count} × {names} ({power})"

    @property
    def car_km(self) -> float:
        return self.kg[0] / CAR_KG_PER_KM

    @property
    def five_cars_share(self) -> float:
        return self.kg[0] / FIVE_CARS_KG


def estimate(hardware: list[Hardware], count: int, hours: float, place: Intensity,
             pue: float | None) -> Estimate:
    """The calculator's figure and its range."""
    if pue is not None:
        pues = (pue, pue, pue)
    elif place.pue is not None:
        pues = (place.pue, place.pue, place.pue)
    else:
        pues = CLOUD_PUE if place.cloud else LOCAL_PUE
    watts = [h.watts for h in hardware]
    central_w = sum(watts) / len(watts)
    base = count * hours / 1000
    kwh = (central_w * base * pues[0],
           min(watts) * UTILISATION[0] * base * pues[1],
           max(watts) * UTILISATION[1] * base * pues[2])
    kg = (kwh[0] * place.central / 1000, kwh[1] * place.low / 1000, kwh[2] * place.high / 1000)
    return Estimate(tuple(hardware), count, hours, place, pues, kwh, kg)


def amount(kg: float) -> str:
    """A mass of CO2e for people: grams, kilograms or tonnes."""
    if kg < 1:
        return f"{kg * 1000:.3g} g"
    if kg < 1000:
        return f"{kg:.3g} kg"
    return f"{kg / 1000:,.3g} t"


def disagreement(stated_kg: float, result: Estimate) -> str | None:
    """How a stated figure disagrees with the estimate, when it is more than
    MISMATCH_FACTOR away either way; None when it agrees."""
    central = result.kg[0]
    if central <= 0:
        return None
    ratio = stated_kg / central
    if 1 / MISMATCH_FACTOR <= ratio <= MISMATCH_FACTOR:
        return None
    how = (f"{ratio:,.3g}× more" if ratio > 1 else
           f"{1 / ratio:,.3g}× less" if ratio > 0 else "nothing")
    return (f"The card states {amount(stated_kg)} CO2e, {how} than the estimate of "
            f"{amount(central)} (range {amount(result.kg[1])}–{amount(result.kg[2])})")


def describe(result: Estimate) -> str:
    """One sentence: the figure, its range, what it is made of, equivalents."""
    kg, kwh, pue = result.kg, result.kwh, result.pue
    pue_text = f"PUE {pue[0]:g}" if pue[1] == pue[2] else f"PUE {pue[0]:g} ({pue[1]:g}–{pue[2]:g})"
    intensity = result.place
    where = (f"{intensity.place} ({intensity.central:g} gCO2e/kWh)" if intensity.low ==
             intensity.high else f"{intensity.place} ({intensity.central:g} gCO2e/kWh, "
             f"{intensity.low:g}–{intensity.high:g})")
    return (f"Training emitted about {amount(kg[0])} CO2e (range {amount(kg[1])}–"
            f"{amount(kg[2])}): {result.hardware_label} for {result.hours:g} h in {where}, "
            f"{pue_text}; {kwh[0]:,.3g} kWh. That is driving a car about "
            f"{result.car_km:,.3g} km, or {result.five_cars_share * 100:.2g}% of the 'five cars' "
            "figure (284 t, Strubell et al. 2019)")


def card_block(result: Estimate, training_type: str, location: str) -> str:
    """A ``co2_eq_emissions`` block for the model card's YAML metadata
    (the Hub's fields; emissions in grams)."""
    grams = round(result.kg[0] * 1000, 1 if result.kg[0] < 1 else None)
    names = " or ".join(h.name for h in result.hardware)
    lines = [
        "co2_eq_emissions:",
        f"  emissions: {grams:g}  # grams CO2e; range {result.kg[1] * 1000:,.0f}–"
        f"{result.kg[2] * 1000:,.0f}",
        '  source: "aiart-release training estimate (Machine Learning Emissions Calculator '
        'method, Lacoste et al. 2019)"',
        f"  training_type: {training_type}",
        f"  geographical_location: {_yaml_text(location)}",
        f"  hardware_used: {_yaml_text(f'{result.count} x {names}, {result.hours:g} h')}",
    ]
    return "\n".join(lines) + "\n"


def _yaml_text(text: str) -> str:
    """A double-quoted YAML scalar: safe whatever the text holds."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c.isprintable() else " " for c in escaped)
    return f'"{escaped}"'
