"""The CLI contract end to end: real subprocesses, real audio and video, bakes opened in bpy."""

from __future__ import annotations

import json

import bpy
import numpy as np
import pytest

from tests.unit.speech_fixtures import espeak
from tests.unit.video_fixtures import moving_face_frames, write_video

from .helpers import evaluate, fcurve_for, run_cli

EMOTIONS = {"neutral", "happiness", "sadness", "anger", "surprise", "fear", "disgust"}


cli = run_cli


def load_take(blend):
    """Open a baked file; return (head object, its active take)."""
    bpy.ops.wm.open_mainfile(filepath=str(blend))
    head = bpy.data.objects["DemoHead"]
    return head, head.data.shape_keys.animation_data.action


def check_weights(doc: dict) -> None:
    assert set(doc["weights"]) == EMOTIONS
    assert all(0.0 <= v <= 1.0 for v in doc["weights"].values())
    assert sum(doc["weights"].values()) == pytest.approx(1.0, abs=1e-4)
    assert doc["timeline"], "the timeline must hold at least one event"


def test_demo_writes_blend_png_and_a_take_of_20_curves_over_72_frames(tmp_path, clean_scene):
    done = cli("demo", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "demo.png").stat().st_size > 10_000
    doc = json.loads((tmp_path / "demo.json").read_text())
    check_weights(doc)
    assert doc["dominant"] == "happiness"  # "I'm so excited to see you!"
    _, take = load_take(tmp_path / "demo.blend")
    bag = take.layers[0].strips[0].channelbag(take.slots[0])
    animated = [fc for fc in bag.fcurves if np.ptp([k.co[1] for k in fc.keyframe_points]) > 1e-3]
    assert len(animated) >= 20
    start, end = take.curve_frame_range
    assert end - start + 1 >= 72


def test_text_json_has_weights_and_timeline(tmp_path):
    out = tmp_path / "x.json"
    line = "This is disgusting, the food is rotten and it smells vile."
    done = cli("text", line, "--json", str(out))
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text())
    check_weights(doc)
    assert doc["dominant"] == "disgust"
    assert "disgust" in done.stdout


def test_empty_text_is_a_clear_error_and_writes_nothing(tmp_path):
    out, blend = tmp_path / "x.json", tmp_path / "x.blend"
    done = cli("text", "   ", "--json", str(out), "--bake", str(blend))
    assert done.returncode == 2
    assert "error:" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists() and not blend.exists()


def test_audio_line_bakes_a_take_that_follows_the_words(tmp_path, clean_scene):
    wav = espeak("I am so happy today, this is wonderful news.", tmp_path / "line.wav")
    out, blend = tmp_path / "a.json", tmp_path / "a.blend"
    done = cli("audio", str(wav), "--json", str(out), "--bake", str(blend))
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text())
    check_weights(doc)
    assert doc["dominant"] == "happiness"
    assert "happy" in doc["transcript"].lower()
    _, take = load_take(blend)
    smile = evaluate(fcurve_for(take, "mouthSmileLeft"), range(1, 60))
    assert smile.max() > 0.3


def test_silent_audio_is_a_clear_error_and_bakes_nothing(tmp_path):
    import wave

    wav = tmp_path / "silence.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 16000 * 2)
    blend = tmp_path / "s.blend"
    done = cli("audio", str(wav), "--bake", str(blend))
    assert done.returncode == 2
    assert "speech" in done.stderr.lower() and "Traceback" not in done.stderr
    assert not blend.exists()


def test_video_of_the_astronaut_is_happy_and_bakes_a_rising_smile(tmp_path, clean_scene):
    video = write_video(tmp_path / "astronaut.avi", moving_face_frames(12, blank=(5,)), fps=4.0)
    out, blend = tmp_path / "v.json", tmp_path / "v.blend"
    done = cli("video", str(video), "--sample-fps", "0", "--json", str(out), "--bake", str(blend))
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text())
    check_weights(doc)
    assert doc["dominant"] == "happiness"
    assert "emotion" in doc["models"]
    track = doc["video"]  # the per-frame emotion track and the peak frame of each emotion
    assert track["frame_indices"] == list(range(12))
    assert track["face_found"] == [i != 5 for i in range(12)]  # found wherever visible
    assert np.array(track["probabilities"]).shape == (12, 7)
    assert set(track["peaks"]) == EMOTIONS
    happy = track["peaks"]["happiness"]
    assert happy["frame_index"] != 5 and happy["probability"] > 0.9
    _, take = load_take(blend)
    smile = evaluate(fcurve_for(take, "mouthSmileLeft"), range(1, 13))
    assert smile[0] < 0.1 and smile.max() > 0.3


def test_video_capture_bakes_the_captured_keys(tmp_path, clean_scene):
    video = write_video(tmp_path / "astronaut.avi", moving_face_frames(12, blank=(5,)), fps=4.0)
    out, blend = tmp_path / "c.json", tmp_path / "c.blend"
    done = cli(
        "video", str(video), "--capture", "--neutral-at", "1.0", "--json", str(out),
        "--bake", str(blend), "--no-life",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    capture = json.loads(out.read_text())["capture"]
    assert len(capture["times"]) == 12  # --capture reads every frame
    assert capture["neutral_index"] == 4 and capture["valid"][5] is False
    _, take = load_take(blend)
    bag = take.layers[0].strips[0].channelbag(take.slots[0])
    keyed = {fc.data_path.split('"')[1] for fc in bag.fcurves}
    assert keyed == set(capture["names"])  # the capture, not the emotion engine, made the take
    times, weights = np.array(capture["times"]), np.array(capture["weights"])
    jaw = weights[:, capture["names"].index("jawOpen")]
    frames = np.arange(1, 60)
    expected = np.interp((frames - 1) / 24.0, times, jaw)
    np.testing.assert_allclose(evaluate(fcurve_for(take, "jawOpen"), frames), expected, atol=1e-3)


def test_emotion_preset_names_bake_both_faces_of_bittersweet(tmp_path, clean_scene):
    out, blend = tmp_path / "b.json", tmp_path / "b.blend"
    done = cli("emotion", "bittersweet", "--json", str(out), "--bake", str(blend), "--seed", "3")
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text())
    assert doc["weights"]["happiness"] == pytest.approx(0.5)
    assert doc["weights"]["sadness"] == pytest.approx(0.5)
    _, take = load_take(blend)
    frames = range(1, 73)
    peak = {k: evaluate(fcurve_for(take, k), frames).max() for k in
            ("mouthSmileLeft", "mouthSmileRight", "browInnerUp", "mouthFrownLeft")}  # fmt: skip
    assert min(peak["mouthSmileLeft"], peak["mouthSmileRight"]) > 0.4  # a smile ...
    assert peak["browInnerUp"] > 0.4  # ... with sad, raised inner brows
    assert peak["mouthFrownLeft"] < 1e-3  # and no frown fighting the smile


def test_emotion_mixes_a_preset_with_an_emotion(tmp_path):
    out = tmp_path / "m.json"
    done = cli("emotion", "happily_surprised=0.5,anger=0.5", "--json", str(out))
    assert done.returncode == 0, done.stderr
    weights = json.loads(out.read_text())["weights"]
    assert weights["anger"] == pytest.approx(0.5) and weights["happiness"] == pytest.approx(0.3)
    done = cli("emotion", "grumpily_hungry")
    assert done.returncode == 2 and "Unknown emotion or preset" in done.stderr
