"""Curve metrics of paper 000 (sections 3.2.2, 3.3 and 4.2): energy, spatial spread, timing, jerk.

* **Activation energy** ``E_AU = sum_f I_AU,f ** 2`` (section 3.2.2). Section 3.3 calls it "the
  area under the AU activation curve", which would be ``sum_f I`` (times the frame time); the two
  disagree, and we follow the explicit formula. Energies grow with the frame count, so compare
  curves at the same frame rate and length.
* **Spatial distribution**: energy per face region, its share, the AUs active there, and the
  entropy of the shares (how evenly the face is engaged; the paper compares heat maps).
* **Temporal structure**: peak frame and the rise / hold / fall lengths of the activation around
  the peak, with thresholds at 10 % and 90 % of the peak.
* **Smoothness**: jerk, the third time derivative, by finite differences; lower is smoother.

Inputs are ``{channel: 1-D array}`` mappings (or anything with ``as_dict()``, such as
:class:`~.synthesis.AUCurves`); region statistics need AU channel names (``AU12_L``) unless an
explicit ``regions`` mapping is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InputError
from .facs import REGIONS, channel_region


def _channels(curves: Any) -> dict[str, np.ndarray]:
    data = curves.as_dict() if hasattr(curves, "as_dict") else curves
    if not isinstance(data, Mapping):
        raise InputError("Metrics need a mapping of channel name -> 1-D array.")
    out = {}
    for name, values in data.items():
        arr = np.asarray(values, dtype=float)
        if arr.ndim != 1:
            raise InputError(f"Channel {name!r} must be a 1-D array, got shape {arr.shape}.")
        if not np.all(np.isfinite(arr)):
            raise InputError(f"Channel {name!r} contains NaN or infinity.")
        out[str(name)] = arr
    return out


def activation_energy(curves: Any) -> dict[str, float]:
    """``E = sum_f I_f^2`` per channel.

    Raises:
        InputError: On non-1-D or non-finite channels.
    """
    return {name: float(np.dot(v, v)) for name, v in _channels(curves).items()}


@dataclass(frozen=True)
class RegionStats:
    """Energy of one face region.

    Attributes:
        energy: Summed activation energy of the region's channels.
        share: ``energy`` / total energy (0 when nothing is active).
        active: Channels whose peak reaches the activity threshold.
    """

    energy: float
    share: float
    active: tuple[str, ...]


def spatial_distribution(
    curves: Any, *, threshold: float = 0.05, regions: Mapping[str, str] | None = None
) -> dict[str, RegionStats]:
    """Energy, share and active channels per face region (all of :data:`~.facs.REGIONS`).

    Args:
        curves: ``{channel: array}``.
        threshold: Peak value from which a channel counts as active.
        regions: Optional channel -> region mapping for non-AU names (e.g. shape keys).

    Raises:
        InputError: On unknown channel names (without ``regions``) or unknown regions.
    """
    energy = activation_energy(curves)
    data = _channels(curves)
    stats = {r: [0.0, []] for r in REGIONS}
    for name, e in energy.items():
        region = regions[name] if regions and name in regions else channel_region(name)
        if region not in stats:
            raise InputError(f"Unknown face region {region!r}; use one of {', '.join(REGIONS)}.")
        stats[region][0] += e
        if len(data[name]) and data[name].max() >= threshold:
            stats[region][1].append(name)
    total = sum(v[0] for v in stats.values())
    return {
        r: RegionStats(float(e), float(e / total) if total > 0 else 0.0, tuple(active))
        for r, (e, active) in stats.items()
    }


def region_entropy(distribution: Mapping[str, RegionStats]) -> float:
    """Shannon entropy (bits) of the region shares: 0 = one region, log2(6) = all equal."""
    shares = np.array([s.share for s in distribution.values() if s.share > 0])
    return float(-(shares * np.log2(shares)).sum()) if len(shares) else 0.0


@dataclass(frozen=True)
class TemporalStructure:
    """Timing of a curve's main activation (frames; seconds via the properties).

    Attributes:
        fps: Frame rate used for the seconds.
        peak_frame: Index of the first maximum (None if the curve never rises above 0).
        peak_value: The maximum.
        onset_frame: First frame of the activation (>= 10 % of peak) around the peak.
        rise_frames: Frames from onset to the first frame >= 90 % of peak.
        hold_frames: Frames at >= 90 % of peak around the peak.
        fall_frames: Frames from the last >= 90 % frame to the last >= 10 % frame.
    """

    fps: float
    peak_frame: int | None
    peak_value: float
    onset_frame: int | None = None
    rise_frames: int = 0
    hold_frames: int = 0
    fall_frames: int = 0

    @property
    def rise_s(self) -> float:
        """Rise time in seconds."""
        return self.rise_frames / self.fps

    @property
    def hold_s(self) -> float:
        """Hold time in seconds."""
        return self.hold_frames / self.fps

    @property
    def fall_s(self) -> float:
        """Fall time in seconds."""
        return self.fall_frames / self.fps


def _run(mask: np.ndarray, centre: int) -> tuple[int, int]:
    """First and last index of the run of True in ``mask`` that contains ``centre``."""
    off = np.flatnonzero(~mask)
    before = off[off < centre]
    after = off[off > centre]
    start = int(before[-1]) + 1 if len(before) else 0
    end = int(after[0]) - 1 if len(after) else len(mask) - 1
    return start, end


def temporal_structure(
    curve: np.ndarray, fps: float, *, low: float = 0.1, high: float = 0.9
) -> TemporalStructure:
    """Rise / hold / fall structure of the activation around the curve's peak.

    Args:
        curve: 1-D values.
        fps: Frame rate.
        low: Fraction of the peak where the activation starts and ends.
        high: Fraction of the peak that counts as the apex (hold).

    Raises:
        InputError: On an empty or non-finite curve, a bad fps, or ``0 < low < high <= 1``
            not holding.
    """
    v = np.asarray(curve, dtype=float)
    if v.ndim != 1 or len(v) == 0 or not np.all(np.isfinite(v)):
        raise InputError("temporal_structure needs a non-empty, finite 1-D curve.")
    if not np.isfinite(fps) or fps <= 0:
        raise InputError(f"Frame rate must be positive, got {fps}.")
    if not 0.0 < low < high <= 1.0:
        raise InputError("Thresholds must satisfy 0 < low < high <= 1.")
    peak = int(np.argmax(v))
    top = float(v[peak])
    if top <= 0:
        return TemporalStructure(float(fps), None, top)
    start, end = _run(v >= low * top, peak)
    h_start, h_end = _run(v >= high * top, peak)
    return TemporalStructure(
        float(fps), peak, top, start, h_start - start, h_end - h_start + 1, end - h_end
    )


def jerk(curve: np.ndarray, fps: float) -> np.ndarray:
    """Third derivative by finite differences, ``diff(x, 3) * fps**3`` (len(curve) - 3 values).

    Raises:
        InputError: On a bad fps or a non-1-D curve.
    """
    v = np.asarray(curve, dtype=float)
    if v.ndim != 1:
        raise InputError("jerk needs a 1-D curve.")
    if not np.isfinite(fps) or fps <= 0:
        raise InputError(f"Frame rate must be positive, got {fps}.")
    return np.diff(v, 3) * float(fps) ** 3


@dataclass(frozen=True)
class Smoothness:
    """Jerk statistics of a curve (units per second cubed).

    Attributes:
        rms_jerk: Root mean square jerk.
        max_jerk: Largest absolute jerk.
    """

    rms_jerk: float
    max_jerk: float


def smoothness(curve: np.ndarray, fps: float) -> Smoothness:
    """RMS and max absolute jerk (both 0 for curves shorter than 4 samples)."""
    j = jerk(curve, fps)
    if len(j) == 0:
        return Smoothness(0.0, 0.0)
    return Smoothness(float(np.sqrt(np.mean(j * j))), float(np.abs(j).max()))
