"""Per-shape-key curves ready to bake: the hand-off between the engine and Blender.

A :class:`CurveSet` holds one value per frame for each shape key, starting at ``frame_start``.
The bake writes it densely (one key per frame) or sparsely: :func:`sparse_keys` picks the few
frames a Bezier curve needs to stay within a tolerance of the dense samples, so animators get
editable curves instead of thousands of keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from .errors import InputError


@dataclass(frozen=True)
class CurveSet:
    """Dense per-frame values for a set of shape keys.

    Attributes:
        frame_start: The scene frame of the first sample.
        fps: Frames per second the samples were made for.
        channels: Shape-key name → 1-D float array, one value per frame, all the same length.
        warnings: Non-fatal notes gathered while building the curves.
    """

    frame_start: int
    fps: float
    channels: Mapping[str, np.ndarray]
    warnings: tuple[str, ...] = field(default=())

    @property
    def n_frames(self) -> int:
        """Number of frames every channel holds (0 for an empty set)."""
        return len(next(iter(self.channels.values()))) if self.channels else 0

    @property
    def frame_end(self) -> int:
        """The last frame written (inclusive)."""
        return self.frame_start + self.n_frames - 1

    def validated(self) -> CurveSet:
        """Check the set can be baked and return a copy with float64 arrays.

        Channels that are entirely NaN are dropped with a warning; remaining NaNs (gaps) are
        filled by linear interpolation so the bake never writes NaN into Blender.

        Raises:
            InputError: If there are no channels, no frames, mismatched lengths, or every channel
                is all-NaN.
        """
        if not self.channels:
            raise InputError("Nothing to bake: the curve set has no shape-key channels.")
        if not np.isfinite(self.fps) or self.fps <= 0:
            raise InputError(f"Frame rate must be positive, got {self.fps}.")
        lengths = {name: np.asarray(v).shape for name, v in self.channels.items()}
        shapes = set(lengths.values())
        if len(shapes) != 1 or len(next(iter(shapes))) != 1:
            raise InputError(
                f"All channels must be 1-D arrays of the same length; got {sorted(shapes)}."
            )
        n = next(iter(shapes))[0]
        if n == 0:
            raise InputError("Nothing to bake: the frame range is empty (0 frames).")
        clean: dict[str, np.ndarray] = {}
        warnings = list(self.warnings)
        for name, values in self.channels.items():
            arr = np.asarray(values, dtype=np.float64)
            finite = np.isfinite(arr)
            if not finite.any():
                warnings.append(f"Channel {name!r} has no finite values and was skipped.")
                continue
            if not finite.all():
                idx = np.arange(n)
                arr = np.interp(idx, idx[finite], arr[finite])
                warnings.append(f"Channel {name!r} had gaps (NaN) that were interpolated.")
            clean[name] = arr
        if not clean:
            raise InputError("Nothing to bake: every channel is NaN.")
        return CurveSet(self.frame_start, float(self.fps), clean, tuple(warnings))


def sparse_keys(values: np.ndarray, tolerance: float = 0.01) -> np.ndarray:
    """Indices of the samples to keep so a curve through them stays within ``tolerance``.

    A Ramer–Douglas–Peucker simplification on (frame, value) that always keeps the first and last
    sample and every local extremum (so apexes and rests keep their exact height and Blender's
    auto-clamped handles stay flat there). Between kept samples the curve is judged against the
    straight chord, which is conservative for Bezier segments with auto-clamped handles.

    Args:
        values: Dense 1-D samples, one per frame.
        tolerance: Largest allowed deviation in value units (shape-key slider units).

    Returns:
        Sorted integer indices into ``values``.
    """
    v = np.asarray(values, dtype=np.float64)
    n = len(v)
    if n <= 2:
        return np.arange(n)
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    d = np.diff(v)
    # Local extrema and the ends of flat runs (plateau starts/ends), where the slope changes sign.
    sign = np.sign(d)
    change = np.flatnonzero(sign[1:] != sign[:-1]) + 1
    keep[change] = True
    anchors = np.flatnonzero(keep)
    stack = list(pairwise(anchors))
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        xs = np.arange(a + 1, b)
        chord = v[a] + (v[b] - v[a]) * (xs - a) / (b - a)
        err = np.abs(v[a + 1 : b] - chord)
        i = int(np.argmax(err))
        if err[i] > tolerance:
            m = a + 1 + i
            keep[m] = True
            stack.append((a, m))
            stack.append((m, b))
    return np.flatnonzero(keep)
