"""End-to-end training test (run in .venv-train: ``make test-train``): a few v3 steps on a tiny
synthetic 7-class dataset, ONNX export, and runtime probabilities equal to torch's within 1e-4."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs the training env: make train-env test-train")
cv2 = pytest.importorskip("cv2")

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO))

import train_emotion  # noqa: E402

from facial_affect_addon.core.emotions import EMOTION_NAMES  # noqa: E402
from facial_affect_addon.ml import resnet_emotion  # noqa: E402
from facial_affect_addon.ml.emotion_runtime import EmotionModel  # noqa: E402

SIZE = 32


def _picture(k: int, rng: np.random.Generator) -> np.ndarray:
    """Class k: a disc whose colour and position depend on k, plus noise."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    cx, cy = 8 + 16 * (k % 2), 8 + 2.5 * k
    disc = (xx - cx) ** 2 + (yy - cy) ** 2 < 36
    img = rng.integers(0, 40, (SIZE, SIZE, 3))
    img[disc] = np.array([(k * 37) % 256, (k * 91) % 256, 255 - k * 30])
    return img.astype(np.uint8)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tiny_affectnet")
    rng = np.random.default_rng(0)
    for split, n in (("train", 6), ("val", 2)):
        for k, name in enumerate(EMOTION_NAMES):
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(n):
                cv2.imwrite(str(folder / f"{i}.png"), _picture(k, rng)[:, :, ::-1])
    return root


@pytest.fixture(scope="module")
def exported(dataset, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("export")
    args = train_emotion.build_parser().parse_args(
        [
            "--data",
            str(dataset),
            "--recipe",
            "v3",
            "--max-steps",
            "3",
            "--batch-size",
            "16",
            "--size",
            str(SIZE),
            "--workers",
            "0",
            "--out",
            str(out),
            "--name",
            "tiny",
        ]
    )
    torch.set_num_threads(1)
    report = train_emotion.train(args)
    return out / "tiny.onnx", report


def test_v3_trains_and_reports_metrics(exported):
    path, report = exported
    assert path.is_file() and path.with_suffix(".json").is_file()
    assert 0.0 <= report["accuracy"] <= 1.0 and 0.0 <= report["macro_f1"] <= 1.0
    assert set(report["per_class"]) == set(EMOTION_NAMES)


@pytest.mark.parametrize("backend", ["onnxruntime", "opencv"])
def test_runtime_matches_torch(exported, backend):
    if backend == "opencv":
        pytest.importorskip("cv2")
    else:
        pytest.importorskip("onnxruntime")
    path, _ = exported
    runtime = EmotionModel(path, backend=backend)
    assert runtime.backend == backend
    rng = np.random.default_rng(1)
    batch = rng.normal(size=(4, 3, SIZE, SIZE)).astype(np.float32)
    ref = _torch_probabilities(path, batch)
    got = runtime.run(batch)
    np.testing.assert_allclose(got, ref, atol=1e-4)
    assert np.allclose(runtime.predict_batch(batch).sum(1), 1.0)


def _torch_probabilities(path: Path, batch: np.ndarray) -> np.ndarray:
    state = torch.load(path.with_suffix(".pt"), weights_only=True)
    model = resnet_emotion.build_model(dropout=0.5)
    model.load_state_dict(state)
    with torch.no_grad():
        return resnet_emotion.with_softmax(model).eval()(torch.from_numpy(batch)).numpy()


def test_csv_layout_and_affectnet_codes(tmp_path, dataset):
    rows = ["pth,label", "train/happiness/0.png,1", "train/anger/0.png,anger", "x.png,7"]
    (tmp_path / "labels.csv").write_text("\n".join(rows))
    samples = train_emotion.csv_samples(tmp_path / "labels.csv", dataset)
    assert [EMOTION_NAMES[k] for _, k in samples] == ["happiness", "anger"]


def test_classification_report_macro_f1():
    rep = train_emotion.classification_report([0, 0, 1, 1], [0, 1, 1, 1])
    assert rep["accuracy"] == 0.75
    assert rep["per_class"]["neutral"]["f1"] == pytest.approx(2 / 3)
    assert rep["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)


def test_resnet18_has_the_papers_layout_and_parameter_count():
    model = resnet_emotion.build_model(dropout=0.5)
    names = set(model.state_dict())
    assert {"conv1.weight", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight"} <= names
    assert "layer1.0.downsample.0.weight" not in names  # same shape: identity shortcut
    assert {"fc.1.weight", "layer4.1.bn2.running_mean"} <= names
    # He et al.'s ResNet18 has 11,689,512 parameters with a 1000-way head; a 7-way head leaves
    # 11,689,512 - (512 * 1000 + 1000) + (512 * 7 + 7).
    assert sum(p.numel() for p in model.parameters()) == 11_689_512 - 513_000 + 3_591
    with torch.no_grad():
        assert model.eval()(torch.zeros(2, 3, 64, 64)).shape == (2, len(EMOTION_NAMES))


def test_eval_transform_resizes_and_normalises_only():
    recipe = train_emotion.RECIPES["v3"]
    img = np.full((20, 30, 3), (124, 116, 104), np.uint8)  # ~ the ImageNet mean
    x = train_emotion.transforms_for(recipe, SIZE, train=False)(img)
    assert tuple(x.shape) == (3, SIZE, SIZE) and x.dtype == torch.float32
    assert float(x.abs().max()) < 0.02
    again = train_emotion.transforms_for(recipe, SIZE, train=False)(img)
    assert torch.equal(x, again)


def test_train_transform_flips_rotates_and_jitters():
    import random

    recipe = train_emotion.RECIPES["v3"]
    img = _picture(1, np.random.default_rng(3))  # disc on the right half
    plain = train_emotion.transforms_for(recipe, SIZE, train=False)(img)
    aug = train_emotion.transforms_for(recipe, SIZE, train=True)
    random.seed(0)
    outs = [aug(img) for _ in range(40)]
    assert all(tuple(o.shape) == (3, SIZE, SIZE) for o in outs)
    assert all(not torch.equal(o, plain) for o in outs)
    # Horizontal flips move the disc's mass to the left half in about half of the draws.
    red = [o[0] - o[0].min() for o in outs]
    left = sum(float(r[:, : SIZE // 2].sum()) > float(r[:, SIZE // 2 :].sum()) for r in red)
    assert 8 <= left <= 32
    # Corners uncovered by the rotation/affine warp are black (the normalised value of 0).
    black = -resnet_emotion.IMAGENET_MEAN[0] / resnet_emotion.IMAGENET_STD[0]
    assert any(abs(float(o[0, 0, 0]) - black) < 1e-4 for o in outs)


def test_eval_transform_averages_when_it_shrinks():
    yy, xx = np.mgrid[0 : 3 * SIZE, 0 : 3 * SIZE]
    board = np.repeat((((yy + xx) % 2) * 255).astype(np.uint8)[..., None], 3, axis=2)
    x = train_emotion.transforms_for(train_emotion.RECIPES["v1"], SIZE, train=False)(board)
    # 3x3 areas of a one-pixel checkerboard average to 4/9 or 5/9 grey; point sampling would
    # alias to black and white (a spread of ~4.4 in normalised units).
    assert float(x[0].max() - x[0].min()) < 0.6
