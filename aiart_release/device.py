"""Choosing the device for checks that run the released model.

Only checks that declare ``device = "accelerator"`` get one. torch is
imported here only when such a check has work, never at start-up.
"""

from __future__ import annotations

import importlib.util

from .lazy_pattern import LazyPattern
from .records import dataclass

_CUDA = LazyPattern(r"^cuda(?::(\d+))?$")


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


class DeviceUnavailable(BaseException):
    """An accelerator bundle check read ``ctx.device`` and there is none
    (``--device cuda:7`` on a machine without it). The engine reports the
    check as skipped. A ``BaseException``, like the watchdog's, so that a
    check's own ``except Exception`` does not carry on without a device."""

    def __init__(self, choice: DeviceChoice):
        self.choice = choice
        super().__init__(choice.note)


class DeviceResolver:
    """``--device`` resolved once per run, the first time a check asks:
    resolving ``auto`` imports torch, which a run with no model work never
    pays for."""

    def __init__(self, requested: str):
        self.requested = requested
        self._choice: DeviceChoice | None = None

    @property
    def choice(self) -> DeviceChoice:
        if self._choice is None:
            self._choice = resolve_device(self.requested)
        return self._choice

    @property
    def note(self) -> str:
        """The note on the device, empty when no check asked for one."""
        return self._choice.note if self._choice is not None else ""


class DeviceLease:
    """The device one accelerator bundle check runs on, handed out when the
    check reads ``BundleContext.device``; ``used`` says which one it got."""

    def __init__(self, resolver: DeviceResolver):
        self._resolver = resolver
        self.used: str | None = None

    def take(self) -> str:
        choice = self._resolver.choice
        if not choice.available:
            raise DeviceUnavailable(choice)
        self.used = choice.device
        return choice.device  # type: ignore[return-value]
