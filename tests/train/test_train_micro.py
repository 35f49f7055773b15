"""End-to-end micro-expression training test (run in .venv-train: ``make test-train``).

The clips are the real synthetic set, tiny: ``tests/train/data/micro_tiny`` was rendered by
``tools/make_micro_clips.py`` (``make micro-tiny-set`` regenerates it; a Blender test checks the
tool still writes this format): 12 clips of 1 s at 25 fps, 64 px, 4 each of the demo head and two
generated heads, the last (gen1) held out. The test trains the ``--tiny`` configuration with LOSO
evaluation, checks that the loss falls, that the exported ONNX gives torch's output
(onnxruntime and OpenCV) within 1e-4, and that the exported model spots with sliding windows
over a long clip.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs the training env: make train-env test-train")
cv2 = pytest.importorskip("cv2")

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "tools")]

import _micro_data  # noqa: E402
import micro_model  # noqa: E402
import train_micro  # noqa: E402

from facial_affect_addon.ml.micro_net import (  # noqa: E402
    MicroNet,
    WindowOptions,
    model_status,
    read_rgb_video,
    tim_resample,
)

TINY_SET = REPO / "tests" / "train" / "data" / "micro_tiny" / "labels.json"


@pytest.fixture(scope="module")
def labels() -> Path:
    clips = json.loads(TINY_SET.read_text(encoding="utf-8"))["clips"]
    assert {c["head"] for c in clips} == {"demo", "gen0", "gen1"}
    assert {c["head"] for c in clips if c["heldout"]} == {"gen1"}
    return TINY_SET


def _heldout(labels: Path) -> list[dict]:
    clips = json.loads(labels.read_text(encoding="utf-8"))["clips"]
    return [c for c in clips if c["heldout"]]


@pytest.fixture(scope="module")
def trained(labels, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("micro_export")
    torch.set_num_threads(2)
    argv = f"--tiny --epochs 4 --batch-size 4 --eval loso --name tiny_micro --out {out}".split()
    args = train_micro.parse_args([*argv, "--synthetic", str(labels)])
    return train_micro.train(args)


def test_tiny_run_learns_and_reports(trained):
    losses = trained["epoch_losses"]
    assert len(losses) == 4 and losses[-1] < losses[0]
    cv = trained["cross_validation"]
    assert cv["protocol"] == "loso" and cv["folds"] == 2  # two training heads; gen1 held out
    for key in ("accuracy", "macro_f1", "uf1", "uar"):
        assert 0.0 <= cv[key] <= 1.0
    held = trained["held_out"]
    assert held["clips"] == len(_heldout(TINY_SET)) and 0.0 <= held["au_f1"] <= 1.0


@pytest.mark.parametrize("backend", ["onnxruntime", "opencv"])
def test_onnx_matches_torch(trained, labels, backend):
    pytest.importorskip(backend if backend == "onnxruntime" else "cv2")
    path = Path(trained["onnx"])
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["caveat"] == "trained on synthetic renders; CG faces only"
    runtime = MicroNet(path, backend=backend)
    assert runtime.backend == backend
    batch = np.random.default_rng(1).normal(size=(2, 3, 8, 56, 56)).astype(np.float32)
    net = micro_model.MicroNet(np.array(meta["adjacency"]), len(meta["labels"]), width=4)
    net.load_state_dict(torch.load(path.with_suffix(".pt"), weights_only=True))
    with torch.no_grad():
        ref = micro_model.Exported(net).eval()(torch.from_numpy(batch)).numpy()
    np.testing.assert_allclose(runtime.run(batch), ref, atol=1e-4)
    clip = _heldout(labels)[0]
    pred = runtime.predict_video(labels.parent / clip["file"])
    assert (
        0.0 <= pred.onset <= pred.apex <= pred.offset <= (clip["frames"] - 1) / clip["fps"] + 1e-6
    )
    assert pred.emotion in meta["labels"] and set(pred.aus) == set(meta["aus"])


def test_exported_model_spots_a_long_clip_with_sliding_windows(trained, labels):
    runtime = MicroNet(Path(trained["onnx"]))
    held = _heldout(labels)
    frames = np.concatenate([read_rgb_video(labels.parent / c["file"])[0] for c in held])
    fps = held[0]["fps"]
    found = runtime.spot_clip(frames, fps, WindowOptions(stride=4, min_score=0.0))
    # A 4-epoch model's bursts mean nothing; this checks the real ONNX path end to end.
    assert len(found) <= len(frames) // 4
    span = (len(frames) - 1) / fps
    for burst in found:
        assert 0.0 <= burst.onset <= burst.apex <= burst.offset <= span + 1e-6
        assert burst.kind in ("micro", "macro") and burst.emotion in runtime.labels


def test_times_heads_keep_their_order():
    net = micro_model.MicroNet(np.eye(3), 2, width=4).eval()
    with torch.no_grad():
        times, _, _ = net(torch.randn(5, 3, 8, 32, 32) * 10)
    assert bool(((times[:, 0] <= times[:, 1]) & (times[:, 1] <= times[:, 2])).all())
    assert bool(((times >= 0) & (times <= 1)).all())


def test_tim_passes_through_frames_and_resamples_smoothly():
    clip = np.random.default_rng(2).random((9, 4, 4, 3))
    np.testing.assert_allclose(tim_resample(clip, 17)[::2], clip, atol=1e-5)
    ramp = np.linspace(0.0, 1.0, 40)[:, None]
    assert np.abs(tim_resample(ramp, 16)[:, 0] - np.linspace(0, 1, 16)).max() < 0.02


def test_casme_sheet_as_csv(tmp_path):
    folder = tmp_path / "sub03" / "EP01_2"
    folder.mkdir(parents=True)
    for n in range(40, 61):
        cv2.imwrite(str(folder / f"img{n}.jpg"), np.zeros((8, 8, 3), np.uint8))
    sheet = tmp_path / "coding.csv"
    sheet.write_text(
        "Subject,Filename,Unnamed: 2,OnsetFrame,ApexFrame,OffsetFrame,Action Units,"
        "Estimated Emotion\n3,EP01_2,,40,/,60,4+L10,Disgust\n3,EP09_9,,1,2,3,12,happiness\n"
    )
    (rec,) = _micro_data.casme_records(tmp_path, sheet)
    assert rec.group == "sub03" and rec.emotion == "disgust" and rec.aus == ("AU4", "AU10")
    assert (rec.onset, rec.apex, rec.offset) == (0.0, 10 / 200, 20 / 200)
    assert _micro_data.read_frames(rec.source).shape == (21, 8, 8, 3)


def test_missing_model_is_reported_not_raised(tmp_path):
    assert "training-free spotter" in model_status(tmp_path / "none.onnx")
