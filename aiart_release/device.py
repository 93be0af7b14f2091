"""Choosing the device for checks that run the released model.

Only checks that declare ``device = "accelerator"`` get one. torch is
imported here only when such a check has work, never at start-up.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass

_CUDA = re.compile(r"^cuda(?::(\d+))?$")


class DeviceError(ValueError):
    """The ``--device`` value is not understood (exit code 2)."""


@dataclass(frozen=True)
class DeviceChoice:
    """The device accelerator checks run on, or why they cannot run."""

    device: str | None
    note: str = ""

    @property
    def available(self) -> bool:
        return self.device is not None


def parse_device(value: str) -> str:
    """Validate a ``--device`` value: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``."""
    value = value.strip().lower()
    if value in ("auto", "cpu") or _CUDA.match(value):
        return value
    raise DeviceError(f"unknown device {value!r}: use auto, cpu, cuda or cuda:N")


def resolve_device(requested: str) -> DeviceChoice:
    """Turn ``auto|cpu|cuda[:N]`` into a concrete device.

    ``auto`` falls back to the CPU. An explicit CUDA device that is not there
    gives ``device=None`` and a note, and the checks that need it are
    reported as skipped.
    """
    requested = parse_device(requested)
    if requested == "cpu":
        return DeviceChoice("cpu")
    cuda_count, why = _cuda_devices()
    if requested == "auto":
        if cuda_count:
            return DeviceChoice("cuda:0", "auto: CUDA device found")
        return DeviceChoice("cpu", f"auto: {why}; using the CPU")
    index = int(_CUDA.match(requested).group(1) or 0)  # type: ignore[union-attr]
    if index < cuda_count:
        return DeviceChoice(f"cuda:{index}")
    if cuda_count:
        why = f"only {cuda_count} CUDA device(s) present"
    return DeviceChoice(None, f"{requested} is not available ({why})")


def _cuda_devices() -> tuple[int, str]:
    if importlib.util.find_spec("torch") is None:
        return 0, "torch is not installed"
    import torch  # heavy; only reached when an accelerator check has work

    if not torch.cuda.is_available():
        return 0, "torch sees no CUDA device"
    return torch.cuda.device_count(), ""
