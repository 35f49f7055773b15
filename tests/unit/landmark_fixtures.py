"""A synthetic 468-point face mesh for capture tests (no models needed)."""

from __future__ import annotations

import numpy as np

# The points the capture rules read, at plausible pixel positions (R = subject's right).
_RULE_POINTS = {
    33: (110, 120),
    133: (135, 120),
    362: (165, 120),
    263: (190, 120),
    159: (122, 115),
    145: (122, 125),
    386: (178, 115),
    374: (178, 125),
    61: (125, 180),
    291: (175, 180),
    13: (150, 178),
    14: (150, 182),
    152: (150, 215),
    6: (150, 120),
    168: (150, 110),
}


def synthetic_face(rng: np.random.Generator) -> np.ndarray:
    """A plausible neutral mesh: random points plus the eye/mouth points the rules use."""
    pts = np.column_stack(
        [rng.uniform(100, 200, 468), rng.uniform(80, 220, 468), rng.normal(0, 5, 468)]
    )
    for i, (x, y) in _RULE_POINTS.items():
        pts[i, :2] = (x, y)
    return pts
