"""End-to-end micro-expression training test (run in .venv-train: ``make test-train``).

Rendering clips with Blender is too slow for CI on 2 cores, so the tiny set is drawn with numpy:
a flat "face" whose brows rise (surprise: AU1+AU2), mouth corners lift (happiness: AU6+AU12) or
nose darkens (disgust: AU9+AU15) during one burst at a known onset/apex/offset, written as mp4
with a labels JSON in the same format as ``tools/make_micro_clips.py``. The test trains the
``--tiny`` configuration with LOSO evaluation, checks that the loss falls, and that the exported
ONNX gives torch's output (onnxruntime and OpenCV) within 1e-4.
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

from facial_affect_addon.ml.micro_net import MicroNet, model_status, tim_resample  # noqa: E402

FPS = 30.0
SIZE = 64
N_FRAMES = 20
EMOTIONS = {"surprise": ["AU1", "AU2"], "happiness": ["AU6", "AU12"], "disgust": ["AU9", "AU15"]}


def _frame(shade: int, emotion: str, amount: float) -> np.ndarray:
    img = np.full((SIZE, SIZE, 3), 40, np.uint8)
    cv2.ellipse(img, (32, 32), (24, 29), 0, 0, 360, (shade, shade - 20, shade - 40), -1)
    lift = round(5 * amount)
    brow_y = 20 - (lift if emotion == "surprise" else 0)
    for x0 in (16, 38):
        cv2.rectangle(img, (x0, brow_y), (x0 + 10, brow_y + 2), (30, 20, 20), -1)
    corner = 46 - (lift if emotion == "happiness" else 0)
    cv2.line(img, (22, corner), (32, 47), (90, 20, 30), 2)
    cv2.line(img, (32, 47), (42, corner), (90, 20, 30), 2)
    if emotion == "disgust" and amount > 0:
        cv2.rectangle(img, (28, 28), (36, 36), (shade - int(90 * amount),) * 3, -1)
    return img


def _write_clip(path: Path, shade: int, emotion: str, onset: int, apex: int, offset: int) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (SIZE, SIZE))
    for i in range(N_FRAMES):
        rise = np.clip((i - onset) / max(apex - onset, 1), 0, 1)
        fall = np.clip((offset - i) / max(offset - apex, 1), 0, 1)
        writer.write(cv2.cvtColor(_frame(shade, emotion, min(rise, fall)), cv2.COLOR_RGB2BGR))
    writer.release()


@pytest.fixture(scope="module")
def labels(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("micro_clips")
    rng = np.random.default_rng(0)
    clips = []
    for h, shade in enumerate((200, 170, 140)):
        for k in range(6):
            emotion = list(EMOTIONS)[k % 3]
            onset = int(rng.integers(2, 9))
            apex, offset = onset + int(rng.integers(2, 4)), onset + int(rng.integers(5, 9))
            name = f"h{h}_{k}.mp4"
            _write_clip(root / name, shade, emotion, onset, apex, offset)
            clips.append(
                {
                    "file": name,
                    "head": f"h{h}",
                    "heldout": h == 2,
                    "fps": FPS,
                    "frames": N_FRAMES,
                    "onset": onset / FPS,
                    "apex": apex / FPS,
                    "offset": offset / FPS,
                    "aus": EMOTIONS[emotion],
                    "emotion": emotion,
                }
            )
    path = root / "labels.json"
    path.write_text(json.dumps({"format": _micro_data.SYNTHETIC_FORMAT, "clips": clips}))
    return path


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
    assert cv["protocol"] == "loso" and cv["folds"] == 2  # two training heads; h2 held out
    for key in ("accuracy", "macro_f1", "uf1", "uar"):
        assert 0.0 <= cv[key] <= 1.0
    held = trained["held_out"]
    assert held["clips"] == 6 and 0.0 <= held["au_f1"] <= 1.0


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
    pred = runtime.predict_video(labels.parent / "h2_0.mp4")
    assert 0.0 <= pred.onset <= pred.apex <= pred.offset <= (N_FRAMES - 1) / FPS + 1e-6
    assert pred.emotion in EMOTIONS and set(pred.aus) == set(meta["aus"])


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
