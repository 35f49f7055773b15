"""Evaluate the demo head's ARKit-52 table into per-vertex shape key offsets.

The evaluator is :mod:`facial_affect_addon.core.keygen` (shared with ``cli rig generate``); this
module only describes the demo head to it: landmarks are vertices 0-467, the skin parts carry
geodesic distances, the eye sockets and mouth pocket follow their rims, and the eyeballs, teeth
and tongue are rigid parts the table's regions name.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from _demo_head_geometry import ATTACHED_PARTS, N_LANDMARKS, PART_NAMES, SURFACE_PARTS, HeadGeometry

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from facial_affect_addon.core import keygen
from facial_affect_addon.core.keygen_table import ARKIT_NAMES, KEY_POINTS

__all__ = ["ARKIT_NAMES", "KEY_POINTS", "key_point_groups", "shape_key_offsets"]

key_point_groups = keygen.key_point_groups


def key_mesh(head: HeadGeometry) -> keygen.KeyMesh:
    """The demo head as the evaluator's :class:`~facial_affect_addon.core.keygen.KeyMesh`."""
    return keygen.KeyMesh(
        vertices=head.vertices,
        faces=head.faces,
        mirror=head.mirror,
        landmarks=np.arange(N_LANDMARKS),
        landmark_mirror=np.asarray(head.mirror[:N_LANDMARKS]),
        points=head.points,
        part=head.part,
        part_names=tuple(PART_NAMES),
        surface_parts=tuple(SURFACE_PARTS),
        attached_parts=tuple(ATTACHED_PARTS),
        parent=head.parent,
        depth=head.depth,
        check_symmetry=True,
    )


def shape_key_offsets(head: HeadGeometry) -> dict[str, np.ndarray]:
    """Displacement (metres, ``float[N, 3]``) of every ARKit shape key from the Basis."""
    return keygen.shape_key_offsets(key_mesh(head))
