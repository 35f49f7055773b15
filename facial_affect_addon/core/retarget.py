"""Captured ARKit weights → any rig's shape keys (numpy only).

Landmark capture (:mod:`.capture`) produces ARKit-named weights. On an ARKit rig (any naming
style: ``mouthSmileLeft``, ``MouthSmile_L``, ``face_mouthSmileLeft``...) each captured weight
goes straight to its key, and so does a key of another naming family that stands for exactly
one ARKit channel (CC4 ``Cheek_Raise_L``, Daz ``facs_bs_MouthSmileLeft_div2``;
:mod:`.rig_aliases`). Captured keys the rig lacks go *through FACS*: the ARKit table says
which Action Units drive each ARKit key (``A``: keys × AU channels), so the AU activations that
best explain the captured weights are the bounded least-squares solution of ``A x ≈ w`` with
``0 ≤ x ≤ 1``; the rig's own profile then turns ``x`` into its keys. Keys written directly are
never overwritten by the AU route.

The inversion is a design choice, not from the papers: paper 004 maps landmarks straight to one
rig's blend shapes. Going through AUs lets the same capture drive MetaHuman-style or FACS rigs,
at the cost of the AU tables' resolution (e.g. ARKit's separate upper/lower lid keys collapse
into one AU).

:func:`solve_aus` is that inversion on its own (ARKit weights → AU activations), for callers that
want the AUs themselves, e.g. reading an expression back from a render (:mod:`.readback`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np

from .bvls import bvls
from .errors import InputError, RigError
from .facs import AU_CHANNELS
from .rig_aliases import suggest_channels
from .rigs import BUILTIN_PROFILES, RigMatch, RigProfile, detect_profile, match_profile


@lru_cache(maxsize=1)
def _arkit_rows() -> dict[str, np.ndarray]:
    """Every ARKit key's AU row (read-only; built once, it is asked for on every frame)."""
    arkit = BUILTIN_PROFILES["arkit52"]
    own = match_profile(arkit, arkit.keys)
    rows = dict(zip(own.driven_keys, own.matrix(), strict=True))
    for row in rows.values():
        row.setflags(write=False)
    return rows


def arkit_au_matrix(names: Sequence[str]) -> np.ndarray:
    """The ARKit table's AU rows for ``names``: (len(names), len(AU_CHANNELS)).

    Row ``i`` says how much each AU channel drives ARKit key ``names[i]`` (the built-in
    ``arkit52`` profile); a name the table does not know gets a zero row.
    """
    rows = _arkit_rows()
    zero = np.zeros(len(AU_CHANNELS))
    return np.array([rows.get(name, zero) for name in names]).reshape(len(names), -1)


def solve_aus(
    names: Sequence[str], weights: np.ndarray, matrix: np.ndarray | None = None
) -> np.ndarray:
    """AU activations in [0, 1] that best reproduce ARKit weights (bounded least squares).

    Solves ``A x ≈ w`` with ``0 ≤ x ≤ 1`` per frame, ``A`` = :func:`arkit_au_matrix`. Only AU
    channels some name drives are solved for; the others stay 0, and so does a frame whose
    weights are all (near) zero. AUs that the names cannot tell apart (``jawOpen`` drives
    AU25, AU26 and AU27) share the weight in whatever split the solver returns
    (:func:`.bvls.bvls`, our numpy stand-in for ``scipy.optimize.lsq_linear``).

    Args:
        names: ARKit names, one per column of ``weights``.
        weights: (k,) one frame or (n, k) frames.
        matrix: ``arkit_au_matrix(names)`` when the caller already has it.

    Returns:
        (len(AU_CHANNELS),) or (n, len(AU_CHANNELS)) activations, like ``weights``' shape.

    Raises:
        InputError: ``names`` and ``weights`` disagree.
    """
    w = np.asarray(weights, dtype=float)
    w2 = np.atleast_2d(w)
    if w2.ndim != 2 or w2.shape[1] != len(names):
        raise InputError(f"{len(names)} names but weights of shape {w.shape}.")
    a = arkit_au_matrix(names) if matrix is None else np.asarray(matrix, dtype=float)
    used = np.flatnonzero(a.any(axis=0))
    out = np.zeros((len(w2), len(AU_CHANNELS)))
    for row in range(len(w2)):
        if used.size and np.any(w2[row] > 1e-4):
            out[row, used] = bvls(a[:, used], w2[row], 0.0, 1.0)
    return out[0] if w.ndim == 1 else out


def _direct_keys(
    arkit: RigProfile, names: list[str]
) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """ARKit key -> rig key, and ARKit key -> further rig keys that are the same channel.

    ARKit names in any style come first, then keys of other families that stand for exactly one
    ARKit channel (CC4 ``Cheek_Raise_L`` is ``cheekSquintLeft``; :mod:`.rig_aliases`). A channel
    several keys share (CC4's funnel quarters, its two inner-brow keys) drives all of them.
    """
    direct = dict(match_profile(arkit, names).key_map)
    copies: dict[str, list[str]] = {}
    taken = set(direct.values())
    for name in names:
        spec = suggest_channels(name)
        if name in taken or not spec or len(spec) != 1:
            continue
        ((channel, weight),) = spec.items()
        if weight != 1.0 or channel not in arkit.keys:
            continue
        if channel in direct:
            copies.setdefault(channel, []).append(name)
        else:
            direct[channel] = name
        taken.add(name)
    return direct, {k: tuple(v) for k, v in copies.items()}


class ArkitRetarget:
    """Maps ARKit-named weights onto one rig's shape keys.

    Example::

        rt = ArkitRetarget(key_names)
        keys, values = rt.apply(capture.names, capture.weights)   # values: (n, len(keys))

    Args:
        shape_key_names: The rig's key names.

    Raises:
        RigError: The rig has no key that either ARKit or a built-in profile recognises.
    """

    def __init__(self, shape_key_names: Iterable[str]) -> None:
        names = [str(n) for n in shape_key_names]
        self.arkit = BUILTIN_PROFILES["arkit52"]
        self.direct, self.copies = _direct_keys(self.arkit, names)  # ARKit key -> rig key(s)
        self.rig: RigMatch | None
        try:
            self.rig = detect_profile(names)
        except RigError:
            self.rig = None
        if not self.direct and self.rig is None:
            raise RigError(
                "None of the rig's shape keys can take captured ARKit weights: name them like "
                "ARKit ('mouthSmileLeft') or use a rig the built-in profiles recognise."
            )

    def plan(self, names: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Which captured names go straight to a key, and which rig keys the AU route fills."""
        direct = tuple(n for n in names if n in self.direct)
        if self.rig is None or len(direct) == len(names):
            return direct, ()
        taken = {self.direct[n] for n in direct} | {k for n in direct for k in self._copies(n)}
        via_au = tuple(k for k in self.rig.driven_keys if k not in taken)
        return direct, via_au

    def keys(self, names: Sequence[str]) -> tuple[str, ...]:
        """The rig keys :meth:`apply` writes for these captured names, in its column order."""
        direct, via_au = self.plan(names)
        copies = (k for n in direct for k in self._copies(n))
        return (*(self.direct[n] for n in direct), *copies, *via_au)

    def _copies(self, name: str) -> tuple[str, ...]:
        return self.copies.get(name, ())

    def apply(
        self, names: Sequence[str], weights: np.ndarray
    ) -> tuple[tuple[str, ...], np.ndarray]:
        """Retarget weights.

        Args:
            names: ARKit names, one per column of ``weights``.
            weights: (k,) one frame or (n, k) frames, values in [0, 1].

        Returns:
            (rig key names, values with one column per key, same leading shape as ``weights``).

        Raises:
            InputError: ``names`` and ``weights`` disagree, or a name is not an ARKit key.
        """
        w = np.asarray(weights, dtype=float)
        single = w.ndim == 1
        w2 = np.atleast_2d(w)
        if w2.ndim != 2 or w2.shape[1] != len(names):
            raise InputError(f"{len(names)} names but weights of shape {w.shape}.")
        unknown = [n for n in names if n not in self.arkit.keys]
        if unknown:
            raise InputError(f"Not ARKit key names: {', '.join(unknown[:5])}.")
        direct, via_au = self.plan(names)
        columns = {n: i for i, n in enumerate(names)}
        parts = [w2[:, [columns[n] for n in direct]]]
        parts.append(w2[:, [columns[n] for n in direct for _ in self._copies(n)]])
        if via_au:
            au = solve_aus(names, w2)
            order = {k: i for i, k in enumerate(self.rig.driven_keys)}
            rows = self.rig.matrix()[[order[k] for k in via_au]]
            parts.append(np.clip(au @ rows.T, 0.0, 1.0))
        values = np.concatenate(parts, axis=1)
        return self.keys(names), values[0] if single else values
