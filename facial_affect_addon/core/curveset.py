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
from .sampling import fill_gaps, frame_grid, sample_linear


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
                arr = fill_gaps(arr, finite)
                warnings.append(f"Channel {name!r} had gaps (NaN) that were interpolated.")
            clean[name] = arr
        if not clean:
            raise InputError("Nothing to bake: every channel is NaN.")
        return CurveSet(self.frame_start, float(self.fps), clean, tuple(warnings))

    def at_fps(self, fps: float) -> CurveSet:
        """The same motion re-timed to ``fps`` (linear), so playback speed is kept.

        Values are not clipped: a key whose slider goes past [0, 1] keeps its range.
        """
        if abs(self.fps - fps) < 1e-6 or not self.channels:
            return self
        t_old = np.arange(self.n_frames) / self.fps
        t_new = frame_grid(t_old[-1], fps)
        channels = {k: sample_linear(t_old, v, t_new) for k, v in self.channels.items()}
        return CurveSet(self.frame_start, float(fps), channels, self.warnings)


def hermite_segment(v0: float, v1: float, m0: float, m1: float, n: int) -> np.ndarray:
    """Values of the cubic Hermite segment from (0, v0) to (n, v1) with slopes m0, m1 per frame.

    A Bezier F-curve key pair whose handles sit a third of the way along the segment with these
    slopes evaluates to exactly this cubic, so it is what Blender will play back.

    Returns:
        The ``n + 1`` values at integer frames 0..n.
    """
    t = np.arange(n + 1, dtype=np.float64) / n
    h00 = 2 * t**3 - 3 * t**2 + 1
    h10 = t**3 - 2 * t**2 + t
    h01 = -2 * t**3 + 3 * t**2
    h11 = t**3 - t**2
    return h00 * v0 + h10 * n * m0 + h01 * v1 + h11 * n * m1


def sparse_keys(values: np.ndarray, tolerance: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """Pick the few keys (and their slopes) that reproduce a dense curve within ``tolerance``.

    A Ramer–Douglas–Peucker-style split that always keeps the first and last sample and every
    local extremum or plateau end (so apexes and rests keep their exact height), judging each span
    against the cubic Hermite segment through its end keys with the dense curve's own slopes,
    which is exactly what a Bezier key pair with third-length handles plays back. The result
    therefore stays within ``tolerance`` of the dense samples at every frame.

    Args:
        values: Dense 1-D samples, one per frame.
        tolerance: Largest allowed deviation in value units (shape-key slider units).

    Returns:
        ``(indices, slopes)``: sorted sample indices to key, and the slope (value per frame) to
        give each key's handles.
    """
    v = np.asarray(values, dtype=np.float64)
    n = len(v)
    if n <= 2:
        slopes = np.zeros(n) if n < 2 else np.full(n, v[1] - v[0])
        return np.arange(n), slopes
    slope = np.gradient(v)
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    sign = np.sign(np.diff(v))
    change = np.flatnonzero(sign[1:] != sign[:-1]) + 1
    keep[change] = True
    slope[change] = 0.0  # extrema and plateau ends get flat handles
    stack = list(pairwise(np.flatnonzero(keep)))
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        fit = hermite_segment(v[a], v[b], slope[a], slope[b], b - a)
        err = np.abs(v[a : b + 1] - fit)
        i = int(np.argmax(err))
        if err[i] > tolerance:
            m = a + i
            keep[m] = True
            stack.append((a, m))
            stack.append((m, b))
    idx = np.flatnonzero(keep)
    return idx, slope[idx]
