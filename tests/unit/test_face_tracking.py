"""Faces at every scale, tracked with identities, and the CLI's ``--face`` (issue 18 §1-§2).

Frames are composited from the real astronaut photo (scikit-image, public domain) onto textured
backgrounds; the second person is the same head mirrored and tinted.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from facial_affect_addon.core.face_tracks import Track, associate, box_iou
from facial_affect_addon.paths import model_path

from .video_fixtures import other_head, paste_face, textured_background, write_video

needs_models = pytest.mark.skipif(
    not model_path("face_landmark.tflite").is_file(),
    reason="face models missing: run `make setup` (tools/fetch_face_models.py)",
)
LAYOUTS = ((40, 90, 200, 400), (60, 140, 300))  # face heights (px) sharing one frame


def _scene(
    h: int, w: int, sizes, frame: int
) -> tuple[np.ndarray, list[tuple[float, float, float]]]:
    """Faces of ``sizes`` side by side, moved 3 % of the frame per ``frame``; (cx, cy, size)."""
    canvas = textured_background(h, w, seed=frame)
    truths = []
    x = 0.04 * w + frame * 0.03 * w
    for k, size in enumerate(sizes):
        side = size / (95 / 140)
        cx, cy = x + side / 2, h * (0.3 + 0.4 * (k % 2)) + frame * 0.02 * h
        cy = min(max(cy, side / 2 + 1), h - side / 2 - 1)
        paste_face(canvas, size, cx, cy)
        truths.append((cx, cy, size))
        x += side + 0.01 * w
    return canvas, truths


def _found(truth, faces) -> bool:
    cx, cy, size = truth
    for f in faces:
        x, y, w, h = f.box
        near = np.hypot(x + w / 2 - cx, y + h / 2 - cy) < size / 2
        if near and 1 / 1.5 < h / size < 1.5:
            return True
    return False


@needs_models
@pytest.mark.parametrize("res", [(720, 1280), (1080, 1920), (2160, 3840)], ids=str)
def test_recall_on_faces_40_to_400_px_tall(res):
    from facial_affect_addon.ml.faces import FaceAnalyzer

    analyzer = FaceAnalyzer(min_face_px=40)
    hits = total = 0
    for sizes in LAYOUTS:
        for frame in range(2):  # the faces move between the two frames
            rgb, truths = _scene(*res, sizes, frame)
            faces = analyzer.detect_faces(rgb, max_faces=8)
            hits += sum(_found(t, faces) for t in truths)
            total += len(truths)
    assert hits / total >= 0.95, f"recall {hits}/{total} at {res}"


@needs_models
def test_one_whole_frame_pass_misses_small_faces():
    """The baseline the pyramid fixes: without ``min_face_px`` a 60 px face in 1080p is lost."""
    from facial_affect_addon.ml.faces import FaceAnalyzer

    rgb, truths = _scene(1080, 1920, (60,), 0)
    assert not _found(truths[0], FaceAnalyzer().detect_faces(rgb))
    assert _found(truths[0], FaceAnalyzer(min_face_px=40).detect_faces(rgb))


def _crossing(n: int = 12):
    """Two people walking past each other at 720p; the astronaut (A) passes in front."""
    other = other_head()
    for i in range(n):
        frame = textured_background(720, 1280, 1)
        ax, bx = 250 + 780 * i / (n - 1), 1030 - 780 * i / (n - 1)
        paste_face(frame, 130, bx, 360, other)
        paste_face(frame, 130, ax, 360)
        yield frame, ax, bx


@needs_models
def test_crossing_faces_keep_their_identities():
    from facial_affect_addon.ml.face_tracking import FaceTracker
    from facial_affect_addon.ml.faces import FaceAnalyzer

    tracker = FaceTracker(FaceAnalyzer(min_face_px=40))
    seen_after = set()
    for i, (frame, ax, bx) in enumerate(_crossing()):
        for face in tracker.process(frame):
            x, _, w, _ = face.observation.box
            true_x = (ax, bx)[face.face_id]  # id 0 must be A (left at the start), 1 must be B
            assert abs(x + w / 2 - true_x) < 65, (i, face.face_id, x + w / 2, ax, bx)
            if i >= 9:
                seen_after.add(face.face_id)
    assert seen_after == {0, 1}  # both found again after the crossing, under their own ids
    assert tracker.n_detect < 8  # tracked, not detected, in most frames


def test_association_prefers_the_predicted_position_and_gates_by_size():
    # Centres 125 and 205, moving 60 px a step towards each other: after one step they have
    # crossed, so each box is nearer the OTHER track's last position but on its own prediction.
    moving_right = Track(0, (100.0, 100.0, 50.0, 50.0), 0, np.array([60.0, 0.0]))
    moving_left = Track(1, (180.0, 100.0, 50.0, 50.0), 0, np.array([-60.0, 0.0]))
    boxes = [(120.0, 100.0, 50.0, 50.0), (160.0, 100.0, 50.0, 50.0)]
    pairs = associate([moving_right, moving_left], boxes, [None, None], 1)
    assert sorted(pairs) == [(0, 1), (1, 0)]
    assert moving_right.cost((140.0, 100.0, 120.0, 120.0), None, 1) is None  # 2.4x the size
    assert box_iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(1 / 3)


def _two_people_video(path):
    """B (small, left) and the astronaut A (large, right); both drift right."""
    frames = []
    for i in range(8):
        frame = textured_background(480, 640, 2)
        paste_face(frame, 70, 110 + 6 * i, 200, other_head())
        paste_face(frame, 150, 420 + 6 * i, 250)
        frames.append(frame)
    return write_video(path, frames, fps=4.0)


@needs_models
def test_cli_face_picks_the_chosen_person(tmp_path, capsys):
    from facial_affect_addon import cli

    video = _two_people_video(tmp_path / "two.avi")
    centres = {}
    for face in (None, 0):
        out = tmp_path / f"{face}.json"
        argv = ["video", str(video), "--no-audio", "--json", str(out)]
        argv += [] if face is None else ["--face", str(face)]
        assert cli.run(argv) == 0, capsys.readouterr().err
        block = json.loads(out.read_text())["video"]
        assert [f["id"] for f in block["faces"]] == [0, 1]  # left to right
        xs = [b[0] + b[2] / 2 for b in block["face_boxes"] if b is not None]
        centres[face] = (block["face_id"], float(np.mean(xs)))
    assert centres[None][0] == 1 and centres[None][1] > 400  # default: the main actor, A
    assert centres[0][0] == 0 and centres[0][1] < 200  # --face 0: the small face on the left
    capsys.readouterr()
    assert cli.run(["video", str(video), "--no-audio", "--face", "5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert [e for e in err if e.startswith("error:")] == [
        "error: There is no face 5 in two.avi; the faces found are: 0, 1 (numbered in order "
        "of first appearance)."
    ]


@needs_models
def test_main_actor_survives_a_cut_that_breaks_the_track():
    """The face jumps back across the frame (as at a shot cut) and comes back under a new
    identity: the default actor follows it, and says so."""
    from facial_affect_addon.ml.face_tracking import ActorFaceAnalyzer
    from facial_affect_addon.ml.faces import FaceAnalyzer
    from facial_affect_addon.pipeline.video_faces import check_face_choice

    from .video_fixtures import moving_face_frames

    actor = ActorFaceAnalyzer(FaceAnalyzer(min_face_px=40))
    assert all(actor.analyze(f) is not None for f in moving_face_frames(8) * 2)
    (faces, analysed), notes = check_face_choice(actor, None, "cut.avi")
    if len(faces) > 1:  # the jump broke the identity: both halves were still analysed
        assert sorted(actor.used) == [f.face_id for f in faces]
        assert any("analysed in turn" in n for n in notes)
    assert analysed in actor.used


@needs_models
def test_in_a_crowd_the_largest_faces_are_kept():
    from facial_affect_addon.ml.faces import FaceAnalyzer

    rgb, truths = _scene(720, 1280, (50, 180, 70, 120, 90, 60), 0)
    faces = FaceAnalyzer(min_face_px=40).detect_faces(rgb, max_faces=3)
    assert len(faces) == 3
    assert all(_found(t, faces) for t in truths if t[2] in (180, 120, 90))


@needs_models
def test_a_tracked_face_takes_one_mesh_pass_and_stays_still():
    # MediaPipe's tracking: the crop from the last frame's landmarks is already refined, so a
    # tracked frame runs the mesh once (a second pass only when the crop was off), and
    # on a steady shot the detector's periodic look for new faces backs off.
    from facial_affect_addon.core.capture import to_face_coords
    from facial_affect_addon.ml.face_tracking import REDETECT_EVERY, FaceTracker
    from facial_affect_addon.ml.faces import FaceAnalyzer

    from .video_fixtures import moving_face_frames

    analyzer = FaceAnalyzer(min_face_px=40)
    passes = []
    run = analyzer._landmarker._run
    analyzer._landmarker._run = lambda *a: passes.append(1) or run(*a)
    tracker = FaceTracker(analyzer)
    frames = moving_face_frames(40)
    tracker.process(frames[0])
    assert len(passes) == 3  # a fresh detection: the detector's crop refined twice
    points = [tracker.process(f)[0].observation.landmarks.astype(float) for f in frames[1:]]
    assert (len(passes) - 3) / len(points) < 1.8  # was 2-3 a tracked frame
    assert tracker.n_detect == 3 < 1 + len(points) // REDETECT_EVERY  # frames 0, 10, 30
    ref = to_face_coords(points[0], points[0])
    drift = [to_face_coords(p, points[0]) - ref for p in points[1:]]
    assert float(np.mean([np.sqrt((d**2).mean()) for d in drift])) < 0.008  # as detect-refine
    assert float(max(np.abs(d[[61, 291]]).max() for d in drift)) < 0.03


@needs_models
def test_a_new_small_face_is_found_while_another_is_tracked():
    # The periodic look for new faces runs one pyramid level at a time, in turn: a 50 px face
    # that walks in (found only by the finest level at 720p) still joins within a few passes.
    from facial_affect_addon.ml.face_tracking import REDETECT_EVERY, FaceTracker
    from facial_affect_addon.ml.faces import FaceAnalyzer

    tracker = FaceTracker(FaceAnalyzer(min_face_px=40))
    seen_at = None
    for k in range(4 * REDETECT_EVERY):
        canvas = textured_background(720, 1280, seed=0)
        paste_face(canvas, 260, 400 + 2 * k, 360)
        if k >= 3:
            paste_face(canvas, 50, 1000, 200 + k, head=other_head())
        faces = tracker.process(canvas)
        if len(faces) == 2 and seen_at is None:
            seen_at = k
    assert faces[0].face_id == 0 and faces[0].tracked  # the big face kept its identity
    assert seen_at is not None and seen_at < 3 * REDETECT_EVERY + 1
    assert tracker.n_detect < 2 + 3 * REDETECT_EVERY // 2  # not a full pyramid every frame
