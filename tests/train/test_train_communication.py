"""End-to-end communication-effect training test (run in .venv-train: ``make test-train``).

``tools/make_communication_data.py`` writes 300 synthetic takes (AU-curve ``.npy`` files and
curves JSON documents) whose resonance, shareability and engagement follow a known rule of the
curves. The test trains the ``--tiny`` configuration with 5-fold stratified cross-validation and
checks that the network learns the rule on the held-out takes (R² > 0.8 for both regressions),
and that the exported ONNX gives torch's output through the runtime (onnxruntime and OpenCV).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs the training env: make train-env test-train")
pytest.importorskip("onnxruntime")

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "tools")]

import communication_model as cm  # noqa: E402
import make_communication_data as synth  # noqa: E402
import train_communication  # noqa: E402

from facial_affect_addon.core.errors import InputError  # noqa: E402
from facial_affect_addon.ml.communication_net import (  # noqa: E402
    CommunicationModel,
    SequenceSpec,
    load_user_model,
    prepare_curves,
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[dict, Path, Path]:
    root = tmp_path_factory.mktemp("communication")
    csv_path = synth.write_set(root / "set", 300, seed=0)
    args = train_communication.parse_args(
        ["--csv", str(csv_path), "--tiny", "--out", str(root / "model")]
    )
    return train_communication.train(args), csv_path, root / "model" / "communication.onnx"


def test_tiny_model_learns_the_synthetic_rule_on_held_out_takes(trained):
    report, _, _ = trained
    held = report["held_out"]
    assert held["takes"] == 60
    assert held["resonance_r2"] > 0.8, held
    assert held["shareability_r2"] > 0.8, held
    assert held["engagement_accuracy"] > 0.6, held  # chance: 1/3
    cv = report["cross_validation"]
    assert len(cv["folds"]) == 5
    assert sum(f["takes"] for f in cv["folds"]) == report["training_takes"] == 240
    assert report["epoch_losses"][-1] < 0.5 * report["epoch_losses"][0]


def test_folds_are_stratified_by_engagement_class():
    labels = np.array([0] * 30 + [1] * 20 + [2] * 10)
    folds = train_communication.stratified_folds(labels, np.arange(60), 5, seed=1)
    assert sorted(np.concatenate(folds).tolist()) == list(range(60))
    for f in folds:
        assert np.bincount(labels[f], minlength=3).tolist() == [6, 4, 2]


def test_exported_onnx_gives_torch_output_with_both_runtimes(trained):
    onnx_path = trained[2]
    meta = json.loads(onnx_path.with_suffix(".json").read_text())
    assert meta["labels"] == ["low", "medium", "high"]
    assert meta["input"]["channels"] == list(synth.CHANNELS)
    assert meta["input"]["fps"] == 8.0 and meta["input"]["length"] == 32
    assert meta["caveat"] == train_communication.SYNTHETIC_CAVEAT
    spec = SequenceSpec.from_meta(meta["input"])
    net = cm.CommunicationNet(len(spec.channels), spec.length, hidden=16, layers=1, heads=2)
    net.load_state_dict(torch.load(onnx_path.with_suffix(".pt"), weights_only=True))
    stats = torch.tensor(meta["target_mean"]), torch.tensor(meta["target_std"])
    exported = cm.Exported(net, *stats).eval()
    rng = np.random.default_rng(5)
    takes = [synth.make_take(rng) for _ in range(3)]
    x = np.stack([prepare_curves(t, synth.CHANNELS, synth.FPS, spec)[0] for t in takes])
    with torch.no_grad():
        want = exported(torch.from_numpy(x)).numpy()
    for backend in ("onnxruntime", "opencv"):
        model = CommunicationModel(onnx_path, backend=backend)
        np.testing.assert_allclose(model.run(x), want, atol=1e-4)
    pred = load_user_model(onnx_path).predict(takes[0], synth.CHANNELS, synth.FPS)
    assert pred.engagement == pytest.approx(
        dict(zip(meta["labels"], want[0, :3], strict=True)), abs=1e-4
    )
    assert (pred.resonance, pred.shareability) == pytest.approx(tuple(want[0, 3:]), abs=1e-4)


def test_csv_errors_are_input_errors(tmp_path):
    (tmp_path / "a.csv").write_text("sequence,engagement,resonance\nx.npy,low,1\n")
    with pytest.raises(InputError, match="shareability"):
        train_communication.data.read_csv(tmp_path / "a.csv")
    np.save(tmp_path / "x.npy", np.zeros((10, 3)))
    (tmp_path / "b.csv").write_text(
        "sequence,engagement,resonance,shareability,channels\nx.npy,huge,1,2,AU1 AU2 AU4\n"
    )
    with pytest.raises(InputError, match="engagement"):
        train_communication.data.read_csv(tmp_path / "b.csv")


def test_frame_encoder_path_trains_and_its_se_gates_are_used():
    torch.manual_seed(0)
    net = cm.CommunicationNet(3, 6, hidden=8, layers=1, heads=2, frame_width=4)
    curves, frames = torch.rand(2, 6, 3), torch.rand(2, 6, 3, 32, 32)
    logits, reg = net(curves, frames)
    assert logits.shape == (2, 3) and reg.shape == (2, 2)
    cm.loss_terms(logits, reg, torch.tensor([0, 2]), torch.zeros(2, 2)).backward()
    se = [m for m in net.modules() if isinstance(m, cm.SEBlock)]
    assert len(se) == 8  # one per residual block, two blocks in each of four stages
    assert all(m.fc2.bias.grad.abs().sum() > 0 for m in se)  # the gates are on the path
    # A different picture changes the reading: the frames reach the heads.
    assert not torch.allclose(net(curves, torch.rand(2, 6, 3, 32, 32))[1], reg)
    with pytest.raises(ValueError, match="frames"):
        net(curves)
