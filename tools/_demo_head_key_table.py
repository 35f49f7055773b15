"""The demo head's ARKit-52 deformation table: key points, landmark groups and operations.

Pure data plus the small frozen dataclasses that describe one deformation each; the numbers are
evaluated by ``tools/_demo_head_keys.py``. Method (paper 004, "soft mod" blend shapes): each key
displaces a few facial key points (MediaPipe landmarks) and the skin around them follows with a
smooth falloff.

* :class:`Move` -- targets get a displacement; other skin vertices get a Shepard
  (inverse-square-distance) blend of the target and pin displacements, times a smoothstep
  envelope of the (geodesic) distance to the nearest target. Pins are held still.
* :class:`CloseLid` -- upper-lid contour vertices move onto the matching lower-lid vertices.
* :class:`Hinge` / :class:`Slide` -- rotate about a pivot / translate a weighted region. A
  region's weight is the Shepard blend of 1 at its moving anchors and 0 at its fixed anchors,
  times an envelope; its rigid parts (teeth, tongue, eyeballs) get weight 1.

Conventions: Blender +Z up, the face looks toward -Y, ARKit "Left" is the subject's left = +X.
Displacements are millimetres in those axes, angles degrees (right-hand rule about the axis).
Only Left and centre keys are tabled: every ``...Right`` key is the exact mirror image (across
X = 0) of its ``...Left`` key.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from facial_affect_addon.core.rig_tables import ARKIT_52

Vec = tuple[float, float, float]

# The one list of ARKit names the add-on uses (tools import the package, never the reverse).
ARKIT_NAMES = ARKIT_52

# ---------------------------------------------------------------------------------------------
# Key points: name -> MediaPipe landmark index (vertex index of the demo head).
# Sided points are listed as (left, right); the pairs are checked to be mirror images.
# ---------------------------------------------------------------------------------------------
SIDED_POINTS: dict[str, tuple[int, int]] = {
    "brow_inner": (336, 107),
    "brow_inner_lower": (285, 55),
    "brow_mid": (334, 105),
    "brow_mid_lower": (282, 52),
    "brow_outer": (300, 70),
    "brow_outer_lower": (276, 46),
    "eye_outer_corner": (263, 33),
    "eye_inner_corner": (362, 133),
    "upper_lid": (386, 159),
    "lower_lid": (374, 145),
    "cheekbone": (348, 119),
    "cheek_apple": (280, 50),
    "cheek": (425, 205),
    "cheek_low": (427, 207),
    "nose_wing": (358, 129),
    "nose_side": (279, 49),
    "nasolabial": (410, 186),
    "mouth_corner": (291, 61),
    "mouth_corner_inner": (308, 78),
    "upper_lip_side": (269, 39),
    "lower_lip_side": (405, 181),
    "dimple": (287, 57),
    "jaw_angle": (397, 172),
    "face_side": (454, 234),
}
MIDLINE_POINTS: dict[str, int] = {
    "glabella": 9,
    "nose_bridge": 6,
    "nose_tip": 1,
    "subnasale": 2,
    "upper_lip_top": 0,
    "upper_lip_inner": 13,
    "lower_lip_inner": 14,
    "lower_lip_bottom": 17,
    "chin_front": 200,
    "chin": 152,
}
# Groups of landmarks that move together (left side; mirrored for the right side).
GROUPS_LEFT: dict[str, tuple[int, ...]] = {
    "upper_lid": (466, 388, 387, 386, 385, 384, 398),
    "lower_lid": (249, 390, 373, 374, 380, 381, 382),
    "eye_corners": (263, 362),
    "brow_inner": (336, 285, 296, 295),
    "brow_mid": (334, 282),
    "brow_outer": (293, 283, 300, 276),
    "cheekbone": (347, 348, 330, 280),
    "cheek_puff": (425, 411, 427, 436),
    "nose_wing": (358, 279, 278, 294),
    "mouth_corner": (291, 308),
    "upper_lip_outer": (267, 269, 270, 409),
    "upper_lip_inner": (312, 311, 310, 415),
    "lower_lip_outer": (314, 405, 321, 375),
    "lower_lip_inner": (317, 402, 318, 324),
    "jawline": (377, 400, 378, 379, 365, 397),
}
GROUPS_MIDLINE: dict[str, tuple[int, ...]] = {
    "upper_lip_mid": (0, 13),
    "lower_lip_mid": (17, 14),
    "chin": (152, 175, 199, 200, 18),
    "nose_center": (1, 4, 5, 195, 2, 94, 19),
}


def _key_points() -> dict[str, int]:
    points = {}
    for name, (left, right) in SIDED_POINTS.items():
        points[f"{name}_left"], points[f"{name}_right"] = left, right
    points.update(MIDLINE_POINTS)
    return points


KEY_POINTS: dict[str, int] = _key_points()


# ---------------------------------------------------------------------------------------------
# Operations
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Move:
    """Displace target groups (mm); skin follows within ``radius`` (mm, geodesic)."""

    targets: tuple[tuple[str, Vec], ...]
    radius: float
    pins: tuple[str, ...] = ()
    both_sides: bool = False  # centre keys: also apply the mirror image of every target


@dataclass(frozen=True)
class CloseLid:
    """Move the upper-lid contour onto the lower-lid contour (``amount`` 1 = fully closed)."""

    side: str
    radius: float
    amount: float = 1.0
    overlap: Vec = (0.0, -0.8, -0.6)  # mm past the lower lid, so no slit of eye shows


@dataclass(frozen=True)
class Hinge:
    """Rotate a region about a named pivot by ``angle`` degrees (scaled by the region weight)."""

    region: str
    pivot: str
    axis: Vec
    angle: float


@dataclass(frozen=True)
class Slide:
    """Translate a region by ``offset`` mm (scaled by the region weight)."""

    region: str
    offset: Vec


@dataclass(frozen=True)
class Region:
    """Weight field: 1 at ``moving`` anchors, 0 at ``fixed`` ones, 0 beyond ``radius`` (mm).

    Anchor groups are applied on both sides. ``rigid`` parts get weight 1 everywhere.
    """

    moving: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()
    radius: float = 0.0
    rigid: tuple[str, ...] = ()


REGIONS: dict[str, Region] = {
    "jaw": Region(
        moving=("lower_lip_inner", "lower_lip_mid", "chin", "jawline"),
        fixed=("upper_lip_inner", "upper_lip_mid", "nose_wing", "nose_center", "cheekbone"),
        radius=45.0,
        rigid=("teeth_lower", "tongue"),
    ),
    "lower_lip": Region(
        moving=("lower_lip_inner", "lower_lip_outer", "lower_lip_mid"),
        fixed=("upper_lip_inner", "upper_lip_mid", "chin"),
        radius=14.0,
    ),
    "eyeball_left": Region(rigid=("eyeball_left",)),
    "tongue": Region(rigid=("tongue",)),
}

X, Y, Z = (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)
LIP_CENTRES = ("upper_lip_mid", "lower_lip_mid")

# The deformation table. Left keys use left-side groups ("..._left" is implied; "<group>_right"
# names the mirror group); centre keys use ``both_sides`` or symmetric regions.
# Displacements (mm): +X outward (subject's left), -Y forward (out of the face), +Z up.
KEY_TABLE: dict[str, tuple] = {
    # Eyes
    "eyeBlinkLeft": (CloseLid("left", radius=12.0),),
    "eyeLookDownLeft": (
        Hinge("eyeball_left", "eye_center_left", X, 25.0),
        Move((("upper_lid", (0, -0.3, -2.5)), ("lower_lid", (0, 0, -1.0))), radius=10.0),
    ),
    "eyeLookUpLeft": (
        Hinge("eyeball_left", "eye_center_left", X, -25.0),
        Move((("upper_lid", (0, 0, 2.0)), ("lower_lid", (0, 0, 0.8))), radius=10.0),
    ),
    "eyeLookInLeft": (Hinge("eyeball_left", "eye_center_left", Z, -30.0),),
    "eyeLookOutLeft": (Hinge("eyeball_left", "eye_center_left", Z, 30.0),),
    "eyeSquintLeft": (
        Move(
            (("lower_lid", (0, -0.3, 2.8)), ("cheekbone", (0, -0.8, 2.0))),
            radius=11.0,
            pins=("upper_lid", "eye_corners"),
        ),
    ),
    "eyeWideLeft": (
        Move((("upper_lid", (0, 0.5, 3.0)),), radius=11.0, pins=("lower_lid", "eye_corners")),
    ),
    # Jaw
    "jawForward": (Slide("jaw", (0, -7.0, 0)),),
    "jawLeft": (Hinge("jaw", "jaw_pivot", Z, 8.0),),
    "jawOpen": (Hinge("jaw", "jaw_pivot", X, 15.0),),
    # Mouth, centre
    "mouthClose": (
        Hinge("lower_lip", "jaw_pivot", X, -11.0),
        Move(
            (("upper_lip_inner", (0, 0, -1.5)), ("upper_lip_mid", (0, 0, -1.5))),
            8.0,
            pins=("lower_lip_inner",),
            both_sides=True,
        ),
    ),
    "mouthFunnel": (
        Move(
            (
                ("upper_lip_mid", (0, -8.0, 2.5)),
                ("lower_lip_mid", (0, -8.0, -2.5)),
                ("upper_lip_outer", (-1.0, -6.5, 2.0)),
                ("lower_lip_outer", (-1.0, -6.5, -2.0)),
                ("mouth_corner", (-4.0, -2.0, 0)),
            ),
            radius=16.0,
            both_sides=True,
        ),
    ),
    "mouthPucker": (
        Move(
            (
                ("mouth_corner", (-10.0, -4.0, 0)),
                ("upper_lip_mid", (0, -9.0, -0.8)),
                ("lower_lip_mid", (0, -9.0, 0.8)),
                ("upper_lip_outer", (-2.5, -7.5, -0.8)),
                ("lower_lip_outer", (-2.5, -7.5, 0.8)),
            ),
            radius=18.0,
            both_sides=True,
        ),
    ),
    "mouthRollLower": (
        Move(
            (("lower_lip_outer", (0, 4.5, 3.0)), ("lower_lip_mid", (0, 4.5, 3.0))),
            radius=9.0,
            pins=("upper_lip_inner", "upper_lip_mid"),
            both_sides=True,
        ),
    ),
    "mouthRollUpper": (
        Move(
            (("upper_lip_outer", (0, 4.5, -3.0)), ("upper_lip_mid", (0, 4.5, -3.0))),
            radius=9.0,
            pins=("lower_lip_inner", "lower_lip_mid"),
            both_sides=True,
        ),
    ),
    "mouthShrugLower": (
        Move(
            (
                ("lower_lip_outer", (0, -2.0, 4.0)),
                ("lower_lip_mid", (0, -2.0, 4.0)),
                ("chin", (0, -1.5, 3.0)),
            ),
            radius=14.0,
            pins=("upper_lip_inner", "upper_lip_mid"),
            both_sides=True,
        ),
    ),
    "mouthShrugUpper": (
        Move(
            (("upper_lip_outer", (0, -2.0, 3.5)), ("upper_lip_mid", (0, -2.0, 3.5))),
            radius=11.0,
            pins=("lower_lip_inner", "lower_lip_mid"),
            both_sides=True,
        ),
    ),
    # Mouth, sided
    "mouthLeft": (
        Move(
            (
                ("mouth_corner", (8.0, 0, 0)),
                ("mouth_corner_right", (8.0, 0, 0)),
                ("upper_lip_mid", (8.0, 0, 0)),
                ("lower_lip_mid", (8.0, 0, 0)),
            ),
            radius=20.0,
        ),
    ),
    "mouthSmileLeft": (
        Move(
            (
                ("mouth_corner", (6.0, 3.0, 7.0)),
                ("nasolabial_left", (2.5, -0.5, 4.0)),
                ("cheek_left", (1.5, -1.5, 3.5)),
            ),
            radius=20.0,
            pins=LIP_CENTRES,
        ),
    ),
    "mouthFrownLeft": (
        Move(
            (("mouth_corner", (1.5, 0, -6.0)), ("dimple_left", (0.5, 0, -3.5))),
            radius=16.0,
            pins=LIP_CENTRES,
        ),
    ),
    "mouthDimpleLeft": (
        Move(
            (("mouth_corner", (3.5, 4.0, 0.5)), ("dimple_left", (1.5, 3.5, 0))),
            radius=14.0,
            pins=LIP_CENTRES,
        ),
    ),
    "mouthStretchLeft": (
        Move(
            (("mouth_corner", (7.0, 1.5, -3.0)), ("lower_lip_side_left", (3.0, 0, -3.0))),
            radius=16.0,
            pins=LIP_CENTRES,
        ),
    ),
    "mouthPressLeft": (
        Move(
            (
                ("upper_lip_inner", (0, 0, -1.5)),
                ("lower_lip_inner", (0, 0, 1.5)),
                ("upper_lip_outer", (0, 1.0, -1.5)),
                ("lower_lip_outer", (0, 1.0, 1.5)),
            ),
            radius=10.0,
        ),
    ),
    "mouthLowerDownLeft": (
        Move(
            (("lower_lip_inner", (0, -0.5, -5.0)), ("lower_lip_outer", (0, -0.5, -5.0))),
            radius=13.0,
            pins=("upper_lip_inner", "mouth_corner"),
        ),
    ),
    "mouthUpperUpLeft": (
        Move(
            (("upper_lip_inner", (0, -0.5, 5.0)), ("upper_lip_outer", (0, -0.5, 5.0))),
            radius=13.0,
            pins=("lower_lip_inner", "mouth_corner"),
        ),
    ),
    # Brows, cheeks, nose
    "browDownLeft": (
        Move(
            (
                ("brow_inner", (-2.5, -1.0, -6.0)),
                ("brow_mid", (-1.0, 0, -4.5)),
                ("brow_outer", (0, 0, -2.5)),
            ),
            radius=15.0,
            pins=("upper_lid",),
        ),
    ),
    "browInnerUp": (
        Move(
            (("brow_inner", (0, 0, 8.0)), ("brow_mid", (0, 0, 3.0))),
            radius=18.0,
            pins=("upper_lid",),
            both_sides=True,
        ),
    ),
    "browOuterUpLeft": (
        Move(
            (("brow_outer", (0, 0, 7.0)), ("brow_mid", (0, 0, 3.5))),
            radius=16.0,
            pins=("upper_lid",),
        ),
    ),
    "cheekPuff": (
        Move(
            (("cheek_low_left", (7.0, -2.0, 0)),),
            radius=30.0,
            pins=("mouth_corner", "upper_lip_mid", "lower_lip_mid"),
            both_sides=True,
        ),
    ),
    "cheekSquintLeft": (
        Move(
            (("cheekbone", (0, -1.0, 4.0)), ("lower_lid", (0, 0, 1.2))),
            radius=14.0,
            pins=("upper_lid",),
        ),
    ),
    "noseSneerLeft": (
        Move(
            (("nose_wing", (1.0, -1.0, 5.0)), ("nose_side_left", (0.5, -1.0, 4.0))),
            radius=14.0,
            pins=("nose_center", "upper_lip_mid"),
        ),
    ),
    "tongueOut": (Slide("tongue", (0, -26.0, 6.0)), Hinge("jaw", "jaw_pivot", X, 8.0)),
}
