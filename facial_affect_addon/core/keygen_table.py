"""The ARKit-52 deformation table: key points, landmark groups and operations (paper 004).

Pure data plus the small frozen dataclasses that describe one deformation each; the numbers are
evaluated by :mod:`.keygen` (for the demo head by ``tools/make_demo_head.py``, for any key-less
head by ``cli rig generate``). Method (paper 004, "soft mod" blend shapes): each key
displaces a few facial key points (MediaPipe landmarks) and the skin around them follows with a
smooth falloff.

* :class:`Move` -- targets get a displacement; other skin vertices get a Shepard
  (inverse-square-distance) blend of the target and pin displacements, times a smoothstep
  envelope of the (geodesic) distance to the nearest target. Pins are held still.
* :class:`CloseLid` -- upper-lid contour vertices move onto the matching lower-lid vertices.
* :class:`Crease` -- push the skin into the head along a path of landmarks (a furrow).
* :class:`Hinge` / :class:`Slide` -- rotate about a pivot / translate a weighted region. A
  region's weight is the Shepard blend of 1 at its moving anchors and 0 at its fixed anchors,
  times an envelope; its rigid parts (teeth, tongue, eyeballs) get weight 1.

Conventions: Blender +Z up, the face looks toward -Y, ARKit "Left" is the subject's left = +X.
Displacements are millimetres in those axes, angles degrees (right-hand rule about the axis).
Only Left and centre keys are tabled: every ``...Right`` key is the exact mirror image (across
X = 0) of its ``...Left`` key.
"""

from __future__ import annotations

from dataclasses import dataclass

from .rig_tables import ARKIT_52

Vec = tuple[float, float, float]

# The one list of ARKit names the add-on uses (tools import the package, never the reverse).
ARKIT_NAMES = ARKIT_52

# ---------------------------------------------------------------------------------------------
# Key points: name -> MediaPipe landmark index (on the demo head also its vertex index).
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
    "upper_lid_centre": (387, 386, 385),
    "upper_lid_ends": (466, 388, 384, 398),
    "lower_lid": (249, 390, 373, 374, 380, 381, 382),
    "eye_corners": (263, 362),
    "brow_inner": (336, 285, 296, 295),
    "brow_mid": (334, 282),
    "brow_outer": (293, 283, 300, 276),
    "cheekbone": (347, 348, 330, 280),
    "cheekbone_upper": (347, 348, 330),
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
    "forehead_mid": (151, 9, 8, 168, 6),
}

# Crease paths (left side; see :class:`Crease`): landmarks or (a, b) midpoints.
GLABELLA_FURROW = ((9, 336), (8, 285), (168, 417))  # vertical, ~6 mm off the midline
FOREHEAD_LINE = ((9, 151), (336, 337), (296, 299), (334, 333))  # ~8 mm above the brows
SNEER_LINES = ((351, 465), (419, 412, 343))  # across the side of the nasal bridge
NASOLABIAL_FOLD = (423, 426, 436, 432)  # from the nose wing to beside the mouth corner
MENTOLABIAL_SULCUS = ((17, 18), (405, 421), (321, 418))  # below the lower lip


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
class Crease:
    """Fold the skin into the head along a path of landmarks (a wrinkle or furrow).

    ``path`` items are landmark indices or ``(a, b)`` pairs meaning their midpoint (left side;
    a Right key mirrors it). The valley is ``depth`` mm deep at the path and fades out over
    ``width`` mm to either side.
    """

    path: tuple
    depth: float
    width: float
    both_sides: bool = False  # centre keys: also fold the mirror image of the path


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
    "eyeSquintLeft": (  # AU7: the lower lid tightens up over the iris
        Move(
            (("lower_lid", (0, -0.4, 3.4)), ("cheekbone_upper", (0, -1.0, 2.2))),
            radius=10.0,
            pins=("upper_lid", "eye_corners"),
        ),
    ),
    "eyeWideLeft": (  # AU5: the lid margin rises over the eyeball, sclera shows above the iris
        Move(
            (("upper_lid_centre", (0, 2.2, 5.2)), ("upper_lid_ends", (0, 1.2, 3.2))),
            radius=15.0,
            pins=("lower_lid", "eye_corners", "brow_mid", "brow_inner", "brow_outer"),
        ),
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
    "mouthShrugLower": (  # AU17: the chin boss pushes the lower lip up and out
        Move(
            (
                ("lower_lip_outer", (0, -3.0, 4.5)),
                ("lower_lip_mid", (0, -3.5, 5.0)),
                ("chin", (0, -2.5, 4.5)),
            ),
            radius=20.0,
            pins=("upper_lip_inner", "upper_lip_mid", "mouth_corner"),
            both_sides=True,
        ),
        Crease(MENTOLABIAL_SULCUS, depth=1.2, width=3.5, both_sides=True),
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
    "mouthSmileLeft": (  # AU12: corner pulled up and back along the zygomaticus
        Move(
            (
                ("mouth_corner", (12.0, 5.0, 15.0)),
                ("nasolabial_left", (5.0, -2.5, 9.0)),
                ("cheek_left", (3.2, -3.8, 7.0)),
            ),
            radius=24.0,
            pins=(*LIP_CENTRES, "chin", "nose_center"),
        ),
        Crease(NASOLABIAL_FOLD, depth=2.0, width=4.0),
    ),
    "mouthFrownLeft": (  # AU15: corner pulled down by the depressor anguli oris
        Move(
            (("mouth_corner", (2.6, 0.6, -11.0)), ("dimple_left", (1.3, 0, -7.2))),
            radius=22.0,
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
    "mouthStretchLeft": (  # AU20: corner pulled straight out by the risorius
        Move(
            (("mouth_corner", (9.5, 2.0, -2.5)), ("lower_lip_side_left", (4.5, 0.5, -3.5))),
            radius=24.0,
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
    "mouthUpperUpLeft": (  # AU10: upper lip lifted off the teeth, the fold deepens
        Move(
            (
                ("upper_lip_inner", (0, -1.0, 6.5)),
                ("upper_lip_outer", (0, -1.0, 6.0)),
                ("nasolabial_left", (0.5, -1.0, 3.0)),
            ),
            radius=16.0,
            pins=("lower_lip_inner", "mouth_corner"),
        ),
        Crease(NASOLABIAL_FOLD[:3], depth=1.0, width=3.5),
    ),
    # Brows, cheeks, nose
    "browDownLeft": (  # AU4: corrugator pulls the brow down and in, a furrow forms
        Move(
            (
                ("brow_inner", (-5.0, -2.0, -9.0)),
                ("brow_mid", (-3.0, -1.5, -6.5)),
                ("brow_outer", (-0.5, 0, -3.5)),
            ),
            radius=18.0,
            pins=("upper_lid", "eye_corners", "forehead_mid", "brow_inner_right"),
        ),
        Crease(GLABELLA_FURROW, depth=1.6, width=2.6),
    ),
    "browInnerUp": (  # AU1: frontalis pars medialis raises the inner brow
        Move(
            (("brow_inner", (-0.6, 0, 14.4)), ("brow_mid", (0, 0, 7.2))),
            radius=20.0,
            pins=("upper_lid", "eye_corners"),
            both_sides=True,
        ),
        Crease(FOREHEAD_LINE[:3], depth=0.9, width=2.5, both_sides=True),
    ),
    "browOuterUpLeft": (  # AU2: frontalis pars lateralis raises the outer brow
        Move(
            (("brow_outer", (0, 0, 11.0)), ("brow_mid", (0, 0, 6.5))),
            radius=18.0,
            pins=("upper_lid", "eye_corners", "forehead_mid"),
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
    "cheekSquintLeft": (  # AU6: orbicularis oculi lifts the cheek and bunches the lower lid
        Move(
            (("cheekbone_upper", (0.6, -3.0, 7.2)), ("lower_lid", (0, -0.3, 2.6))),
            radius=12.0,
            pins=("upper_lid", "cheek_puff"),
        ),
        # The apple of the cheek rises too, within the tight falloff that keeps it above the nose.
        Move((("cheek_apple_left", (0, -1.0, 3.0)),), radius=4.0),
    ),
    "noseSneerLeft": (  # AU9: nose wing and upper lip lifted, the bridge wrinkles
        Move(
            (
                ("nose_wing", (1.0, -1.5, 6.5)),
                ("nose_side_left", (0.5, -1.5, 5.5)),
            ),
            radius=16.0,
            pins=("nose_center", "upper_lip_mid", "forehead_mid"),
        ),
        Crease(SNEER_LINES[0], depth=1.0, width=1.8),
        Crease(SNEER_LINES[1], depth=1.0, width=1.8),
        Crease(NASOLABIAL_FOLD[:3], depth=1.2, width=3.5),
    ),
    "tongueOut": (Slide("tongue", (0, -26.0, 6.0)), Hinge("jaw", "jaw_pivot", X, 8.0)),
}
