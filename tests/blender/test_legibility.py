"""The legibility harness (``tools/legibility.py``) on the demo head, in real Blender.

One run (13 bakes, 26 Workbench renders, both judges) is shared by every test here.

The ``test_plumbing_*`` tests check that the harness produces what it promises: every cell, a
well-formed report, a grid, the three-quarter camera really turned. The ``test_floor_*`` tests
hold what the head and the emotion → AU → key mapping reach today, so it cannot regress; the
``test_target_*`` tests assert issue 11's targets that are met: the external judge (the shipped
FER2013 model) reads ≥ 6 of 7 from the front and (the issue's ≥ 5; sadness is a coin toss) from the
three-quarter view at 1.0, ≥ 5 of 7 at 0.6 from both views, and the rest pose as neutral from
both, the geometric readback 7 of 7 from the front at 1.0 and 0.6, and fear read as fear by it
from both views. Not met yet, held as floors: the geometric readback from the three-quarter
view (6 of 7: disgust reads as anger there).
"""

from __future__ import annotations

import json
import math
import sys

import pytest

from facial_affect_addon.core.emotions import EMOTION_NAMES
from facial_affect_addon.paths import model_path

from .conftest import DEMO_HEAD, REPO, reset_scene

pytestmark = pytest.mark.skipif(
    not all(
        model_path(name).is_file()
        for name in (
            "face_detection_short_range.tflite",
            "face_landmark.tflite",
            "emotion_fer_minixception.onnx",
        )
    ),
    reason="face models missing: run `make setup` (tools/fetch_face_models.py)",
)

INTENSITIES = (1.0, 0.6)
INTENSITY_LABELS = ("1.0", "0.6")
VIEWS = ("front", "three_quarter")


@pytest.fixture(scope="module")
def harness():
    """The imported tool module (tools/ is put on sys.path only for the import)."""
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import legibility
    finally:
        sys.path.remove(str(REPO / "tools"))
    return legibility


@pytest.fixture(scope="module")
def run(harness, tmp_path_factory):
    """(report, renders folder) of one harness run on the demo head."""
    if not DEMO_HEAD.exists():
        pytest.fail(f"{DEMO_HEAD} is missing: run `make setup` (it builds the demo head).")
    folder = tmp_path_factory.mktemp("legibility")
    rep = harness.run(DEMO_HEAD, "DemoHead", folder)
    yield rep, folder
    reset_scene()


def _counts(rep: dict, judge: str, view: str, level: str) -> tuple[int, dict]:
    conf = rep["confusion"][judge][view][level]
    return conf["correct"], conf["misread"]


def _cell(rep: dict, emotion: str, view: str, level: str = "1.0") -> dict:
    """The report's cell for one emotion, view and intensity label (neutral: its one render)."""
    return next(
        c
        for c in rep["cells"]
        if c["emotion"] == emotion and c["view"] == view and f"{c['intensity']:.1f}" == level
    )


# --- plumbing ---------------------------------------------------------------------------------


def test_plumbing_every_cell_is_rendered_and_judged(run):
    rep, folder = run
    cells = rep["cells"]
    assert len(cells) == len(EMOTION_NAMES) * len(INTENSITIES) * len(VIEWS)
    keys = {(c["emotion"], c["intensity"], c["view"]) for c in cells}
    assert keys == {(e, i, v) for e in EMOTION_NAMES for i in INTENSITIES for v in VIEWS}
    for cell in cells:
        assert (folder / cell["image"]).is_file()
        ext = cell["external"]
        assert ext["face_found"], f"no face in {cell['image']}"
        assert ext["predicted"] in EMOTION_NAMES
        assert set(ext["probabilities"]) == set(EMOTION_NAMES)
        assert math.isclose(sum(ext["probabilities"].values()), 1.0, abs_tol=1e-3)
        assert ext["predicted"] == max(ext["probabilities"], key=ext["probabilities"].get)
        geo = cell["geometric"]
        assert geo["landmarks_found"] and geo["predicted"] in EMOTION_NAMES
        assert set(geo["similarity"]) == set(EMOTION_NAMES) - {"neutral"}


def test_plumbing_the_report_is_well_formed_json(run, tmp_path):
    rep, _ = run
    assert json.loads(json.dumps(rep)) == rep
    assert rep["setup"]["object"] == "DemoHead"
    assert rep["setup"]["engine"] == "BLENDER_WORKBENCH"  # the demo head file's own engine
    for judge in ("external", "geometric"):
        for view in VIEWS:
            for level in ("1.0", "0.6"):
                conf = rep["confusion"][judge][view][level]
                assert conf["rows"] == list(EMOTION_NAMES)
                assert conf["columns"] == [*EMOTION_NAMES, "none"]
                assert [sum(row) for row in conf["matrix"]] == [1] * len(EMOTION_NAMES)
                assert rep["counts"][judge][view][level] == conf["correct"] <= 7


def test_plumbing_the_grid_and_json_are_written(run, harness, tmp_path):
    import cv2

    rep, folder = run
    harness.write_json(rep, tmp_path / "legibility.json")
    harness.write_grid(rep, folder, tmp_path / "grid.png")
    assert json.loads((tmp_path / "legibility.json").read_text())["counts"] == rep["counts"]
    grid = cv2.imread(str(tmp_path / "grid.png"))
    assert grid is not None and grid.shape[1] == 4 * 256 and grid.shape[0] > 7 * 256


def test_plumbing_neutral_is_the_rest_pose_and_the_rest_its_apex(run):
    rep, _ = run
    for cell in rep["cells"]:
        if cell["emotion"] == "neutral":
            assert cell["apex_frame"] == 1
            assert cell["image"] == f"neutral_1.0_{cell['view']}.png"  # one render per view
            assert cell["geometric"]["strength"] == 0.0  # the reference itself
        else:
            assert cell["apex_frame"] > 1


def test_plumbing_the_three_quarter_view_is_turned(run, harness):
    rep, folder = run
    front = harness.load_rgb(folder / "neutral_1.0_front.png")
    turned = harness.load_rgb(folder / "neutral_1.0_three_quarter.png")
    assert front.shape == turned.shape == (512, 512, 3)
    assert abs(front.astype(int) - turned.astype(int)).mean() > 5
    boxes = {view: _cell(rep, "neutral", view)["external"]["box"] for view in VIEWS}
    # Turned away, the face box narrows but stays in frame.
    assert boxes["three_quarter"][2] < boxes["front"][2]
    assert boxes["three_quarter"][0] >= 0 and sum(boxes["three_quarter"][::2]) <= 512


def test_plumbing_turned_camera_keeps_its_distance(harness):
    import bpy

    obj = harness.open_head(DEMO_HEAD, "DemoHead")
    front = bpy.context.scene.camera
    cam = harness.turned_camera(obj, 37.5)
    a, b = front.matrix_world.translation, cam.matrix_world.translation
    assert math.isclose(a.xy.length, b.xy.length, rel_tol=1e-6)  # the pivot is at x = y = 0
    assert math.isclose(math.degrees(a.xy.angle_signed(b.xy)), -37.5, abs_tol=1e-4)
    assert math.isclose(a.z, b.z, abs_tol=1e-9)
    reset_scene()


# --- targets met, and floors for the ones not met yet -----------------------------------------
# Measured on this commit (bpy 5.2, Workbench, outdoor.sl with a top shadow), correct of 7,
# external / geometric: front 1.0 6 / 5, front 0.6 5 / 5, 3/4 1.0 6 / 4, 3/4 0.6 5 / 5 (before
# the felt-intensity curve and the rounder surprise and drooping sad lids, same harness: external
# 6, 2, 6, 4; geometric 4, 5, 4, 5). Issue 11's targets met and asserted: >= 6/7 external from the
# front at 1.0, >= 5/7 from the three-quarter view at 1.0 (see the floor below), >= 5/7 at 0.6
# from both views, the rest pose neutral from both views. Not met (floors hold what is reached so
# it cannot silently regress; raise them as the head and mapping improve): geometric 7/7. The
# landmark model follows little of this textureless head's lid, nose and mouth-corner motion
# (fear's lid opening: 5 % of the gap against the 76 % the geometry moves; disgust's nose wing
# 0.03 inter-ocular units against 0.11), so fear reads as surprise from the front and disgust as
# anger or happiness; comparing in what the capture can see instead of AUs did not help (13 of
# 24 against 14 of 24 on the same renders).
# Session 6 (capture with mouthUpperUp, AU10), same harness: external 6, 6, 5, 6; geometric 5, 5,
# 5, 5. The old 22-key capture on those very renders: also 5, 5, 5, 5; anger at 3/4 1.0 reads as
# anger with both (the renders' landmarks changed, not the capture), so that floor rises to 5.
# Still misread: fear from the front (as surprise: the landmark model follows 19 % of the
# stretched corner's travel and sees it rise like a faint smile, so lip stretch, AU20, is not
# captured), sadness at 3/4 (as surprise: its frown stays in the deadzone) and disgust (as
# happiness or anger: the tracked cheek rises with the upper lip, and core/facs.py weighs AU10
# 0.8 in anger's prototype, 0.2 in disgust's).
# Session 7 (disgust's eyes 6C instead of 7C, see core/facs.py): external 6, 6, 5, 6; geometric 6,
# 6, 5, 5 (disgust reads as disgust from the front at both intensities), so the front floors rise
# to 6. Still misread: fear from the front, sadness and disgust from 3/4.
# Session 8 (the geometric judge reads the lids from the iris model, ml.iris.refine_lids, as the
# video capture now does): geometric 6, 7, 5, 6 on bpy 5.2 and 5.0, 6, 7, 5, 5 on 4.5 (its
# cv2.dnn runtime reads fear at 3/4 0.6 as surprise, 0.50 against 0.49); external unchanged
# (6, 6, 5, 6; 4.5: 6, 5, 5, 6). Sadness from 3/4 now reads as sadness (the drooped lids are
# seen), fear at 0.6 from the front as fear. Still misread: fear at 1.0 (surprise, 0.81 against
# 0.76 from the front, 0.82 against 0.81 from 3/4) and disgust from 3/4 (anger). Front 0.6 is 7/7.
# Session 9 (fear's brow lowerer 4C instead of 4B, see core/facs.py): geometric 7, 7, 5, 6 on bpy
# 5.2, 5.0 and 4.5 (external 6, 6, 5, 6; 4.5: 6, 5, 5, 6): fear from the front reads as fear at
# 1.0 too, so the front view meets the 7/7 at both intensities and is asserted as a
# target. Still misread from 3/4: fear at 1.0 (surprise) and disgust (anger); fear at 3/4 0.6 is
# a coin toss (0.597 against surprise's 0.595), so that floor stays at 5.
# Session 11 (fear's jaw no longer drops: 1+4C+5+20+25, see core/facs.py): geometric 7, 7, 6, 6
# (external 6, 6, 5, 6), fear reads as fear from 3/4 at 1.0 and 0.6 (0.82 / 0.73 against
# surprise's 0.70 / 0.57), so both 3/4 floors rise to 6 and fear is asserted in every cell.
# Disgust from 3/4 still reads as anger: from that side the landmark model moves no nose, cheek
# or mouth-corner point for it beyond what anger's moves (largest upper-face difference: the
# upper lids, about 0.02 inter-ocular units); on its captured weights only a noseSneer reading
# of about 0.3 would turn it to disgust (it reads 0). Full disgust lids (6E) or corners (15E)
# lost the front view too.
EXTERNAL_FRONT_TARGET = 6
# The target. It had been held at 6, but the sixth (sadness at 1.0) is a coin toss for the
# judge: on the very same renders, the pyramid-era detector's box (1-3 px off the old one) reads
# sadness 0.381 -> neutral 0.371 there, and flips sadness at 0.6 the other way in both views
# (measured session 5: old box 6/7, 6/7, 5/7, 5/7; new box 6/7, 5/7, 6/7, 6/7 for front 1.0,
# three-quarter 1.0, front 0.6, three-quarter 0.6). The face did not change; sadness is weak.
EXTERNAL_THREE_QUARTER_FLOOR = 5
EXTERNAL_TARGET_AT_0_6 = 5
GEOMETRIC_FRONT_TARGET = 7
GEOMETRIC_FLOORS = {
    ("three_quarter", "1.0"): 6,
    ("three_quarter", "0.6"): 6,
}


def test_target_external_judge_front_full_intensity(run):
    correct, misread = _counts(run[0], "external", "front", "1.0")
    assert correct >= EXTERNAL_FRONT_TARGET, f"{correct}/7; misread: {misread}"


def test_target_external_judge_three_quarter_full_intensity(run):
    correct, misread = _counts(run[0], "external", "three_quarter", "1.0")
    assert correct >= EXTERNAL_THREE_QUARTER_FLOOR, f"{correct}/7; misread: {misread}"


@pytest.mark.parametrize("view", VIEWS)
def test_target_external_judge_at_0_6(run, view):
    correct, misread = _counts(run[0], "external", view, "0.6")
    assert correct >= EXTERNAL_TARGET_AT_0_6, f"{correct}/7; misread: {misread}"


@pytest.mark.parametrize("level", INTENSITY_LABELS)
def test_target_geometric_readback_reads_all_seven_from_the_front(run, level):
    correct, misread = _counts(run[0], "geometric", "front", level)
    assert correct >= GEOMETRIC_FRONT_TARGET, f"{correct}/7; misread: {misread}"


@pytest.mark.parametrize(("view", "level"), list(GEOMETRIC_FLOORS))
def test_floor_geometric_readback(run, view, level):
    correct, misread = _counts(run[0], "geometric", view, level)
    assert correct >= GEOMETRIC_FLOORS[view, level], f"{correct}/7; misread: {misread}"


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("level", INTENSITY_LABELS)
def test_target_fear_reads_as_fear_not_surprise_from_both_views(run, view, level):
    geo = _cell(run[0], "fear", view, level)["geometric"]
    assert geo["predicted"] == "fear", geo["similarity"]


@pytest.mark.parametrize("emotion", ["happiness", "sadness", "anger", "surprise", "fear"])
def test_target_each_of_five_emotions_reads_from_the_front(run, emotion):
    cell = _cell(run[0], emotion, "front")
    assert cell["external"]["predicted"] == emotion, cell["external"]["probabilities"]


@pytest.mark.parametrize("view", VIEWS)
def test_target_rest_pose_reads_as_neutral_to_the_external_judge(run, view):
    cell = _cell(run[0], "neutral", view)
    assert cell["external"]["predicted"] == "neutral", cell["external"]["probabilities"]


# --- a compound preset, rendered and read back ------------------------------------------------
# Bittersweet is happiness 0.5 + sadness 0.5 (core/emotions.py). Issue 11 asks that it show a
# smile *and* raised inner brows, not cancel to nothing. Each share shows as its emotion felt at
# 0.5 (facs.felt_shares) and the smile takes sadness's brow lowerer and lid droop
# (facs._yield_to_smile). Measured (bpy 5.2, front, captured against the rest pose): browInnerUp
# 0.45 (sadness alone reads 0.30 at intensity 0.5, 0.44 at 1.0; before the two rules the mix
# read 0.01), mouthSmile 0.61 / 0.48, eyeBlink 0.11 / 0.08 (with the droop 0.32 / 0.37), read as
# happiness. The floors: the raise of sadness at 0.5, a smile, no frown, open eyes.


def test_bittersweet_shows_a_smile_and_raised_inner_brows_through_a_render(run, harness, tmp_path):
    from facial_affect_addon.core.emotions import COMPOUND_PRESETS, CompoundEmotion

    _, folder = run
    obj = harness.open_head(DEMO_HEAD, "DemoHead")
    mixture = COMPOUND_PRESETS[CompoundEmotion.BITTERSWEET]
    assert mixture == {"happiness": 0.5, "sadness": 0.5}
    try:
        apex = harness.bake_apex(obj, mixture, 1.0)
        path = tmp_path / "bittersweet_1.0_front.png"
        harness.render_still(path, resolution=harness.RESOLUTION)
    finally:
        reset_scene()
    rest = harness.Render("neutral", 1.0, "front", folder / "neutral_1.0_front.png", 1)
    cell = harness.judge([rest, harness.Render("bittersweet", 1.0, "front", path, apex)])[1]
    geo = cell["geometric"]
    assert geo["landmarks_found"], cell
    smile = [geo["arkit"].get(f"mouthSmile{s}", 0.0) for s in ("Left", "Right")]
    frown = [geo["arkit"].get(f"mouthFrown{s}", 0.0) for s in ("Left", "Right")]
    assert min(smile) > 0.2 and max(frown) < 0.05, geo["arkit"]
    assert geo["arkit"].get("browInnerUp", 0.0) > 0.3, geo["arkit"]
    blink = [geo["arkit"].get(f"eyeBlink{s}", 0.0) for s in ("Left", "Right")]
    assert max(blink) < 0.2, geo["arkit"]
    assert geo["predicted"] == "happiness", geo["similarity"]
