"""Runtime of a user-trained communication-effect model (paper 003), on a tiny test-only export.

``tests/unit/data/communication_tiny.onnx`` (+ .json) is a ``--tiny`` export of
``tools/train_communication.py`` trained on ``tools/make_communication_data.py``'s synthetic
set (300 takes, seed 0), whose resonance rule is ``4·E(smile) + 2·E(AU6) − 2·E(AU4)``. It is a
test fixture, not a shipped model: no communication-effect weights ship.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from facial_affect_addon.core.errors import InputError, ModelError
from facial_affect_addon.ml.communication_net import (
    NO_WEIGHTS_NOTE,
    CommunicationPrediction,
    SequenceSpec,
    load_user_model,
    prepare_curves,
)

TINY = Path(__file__).parent / "data" / "communication_tiny.onnx"
CHANNELS = ("AU1", "AU4", "AU6", "AU12_L", "AU12_R", "AU15", "AU25", "AU45")
FPS = 24.0


def _take(smile: float, frown: float = 0.0) -> np.ndarray:
    """A 3.5 s take: one smile burst (AU6 + AU12) and one brow-lowering burst (AU4)."""
    t = np.arange(84) / FPS
    x = np.zeros((len(t), len(CHANNELS)))
    bump = np.exp(-0.5 * ((t - 1.5) / 0.5) ** 2)
    for c in ("AU6", "AU12_L", "AU12_R"):
        x[:, CHANNELS.index(c)] = smile * bump
    x[:, CHANNELS.index("AU4")] = frown * np.exp(-0.5 * ((t - 2.5) / 0.5) ** 2)
    return x


def test_prediction_is_typed_and_follows_the_learnt_rule():
    model = load_user_model(TINY)
    assert "synthetic" in model.caveat
    big = model.predict(_take(0.9), CHANNELS, FPS)
    none = model.predict(_take(0.0, frown=0.9), CHANNELS, FPS)
    assert isinstance(big, CommunicationPrediction)
    assert set(big.engagement) == {"low", "medium", "high"}
    assert sum(big.engagement.values()) == pytest.approx(1.0, abs=1e-5)
    assert big.resonance > none.resonance + 0.3  # the rule: + smile energy, − AU4 energy
    assert big.engagement["high"] > none.engagement["high"]
    assert none.engagement_class == "low"
    assert big.notes == ()


def test_takes_at_other_rates_and_channel_orders_give_the_same_reading():
    model = load_user_model(TINY)
    take = _take(0.7)
    order = np.array([7, 6, 5, 4, 3, 2, 1, 0])
    a = model.predict(take, CHANNELS, FPS)
    b = model.predict(take[:, order], [CHANNELS[i] for i in order], FPS)
    c = model.predict(take[::3], CHANNELS, FPS / 3)
    assert b.resonance == pytest.approx(a.resonance, abs=1e-6)
    assert c.resonance == pytest.approx(a.resonance, abs=0.05)


def test_opencv_backend_matches_onnxruntime():
    take = _take(0.6, frown=0.3)
    ort = load_user_model(TINY).predict(take, CHANNELS, FPS)
    from facial_affect_addon.ml.communication_net import CommunicationModel

    cv = CommunicationModel(TINY, backend="opencv").predict(take, CHANNELS, FPS)
    assert cv.resonance == pytest.approx(ort.resonance, abs=1e-4)
    assert cv.engagement == pytest.approx(ort.engagement, abs=1e-4)


def test_missing_channels_and_long_takes_are_noted():
    spec = SequenceSpec(("AU12", "AU99"), fps=10.0, length=5)
    x = np.linspace(0, 1, 20)[:, None] * np.ones((1, 2))
    out, notes = prepare_curves(x, ["AU12_L", "AU12_R"], 10.0, spec)
    np.testing.assert_allclose(out[:, 0], x[:5, 0], atol=1e-6)  # unsided = mean of the sides
    assert (out[:, 1] == 0).all()
    assert any("AU99" in n for n in notes) and any("trimmed" in n for n in notes)
    short, _ = prepare_curves(np.ones((2, 1)), ["AU12"], 10.0, SequenceSpec(("AU12",), 10.0, 4))
    assert short[:, 0].tolist() == [1.0, 1.0, 0.0, 0.0]  # padded with rest


@pytest.mark.parametrize(
    ("curves", "names", "fps", "match"),
    [
        (np.zeros((10, 2)), ["AU1"], 24.0, "shape"),
        (np.zeros((0, 1)), ["AU1"], 24.0, "frames"),
        (np.full((4, 1), np.nan), ["AU1"], 24.0, "finite"),
        (np.zeros((4, 1)), ["AU1"], 0.0, "frame rate"),
        (np.zeros((4, 1)), ["XYZ"], 24.0, "none of the model's channels"),
    ],
)
def test_bad_curves_are_input_errors(curves, names, fps, match):
    with pytest.raises(InputError, match=match):
        load_user_model(TINY).predict(curves, names, fps)


def test_missing_or_incomplete_model_files_are_model_errors(tmp_path):
    with pytest.raises(ModelError, match="No communication-effect model ships"):
        load_user_model(tmp_path / "none.onnx")
    assert "tools/train_communication.py" in NO_WEIGHTS_NOTE
    shutil.copy(TINY, tmp_path / "m.onnx")
    (tmp_path / "m.json").write_text(json.dumps({"labels": ["low", "medium", "high"]}))
    with pytest.raises(ModelError, match="input spec"):
        load_user_model(tmp_path / "m.onnx")
    meta = json.loads(TINY.with_suffix(".json").read_text())
    (tmp_path / "m.json").write_text(json.dumps({**meta, "frames": True}))
    with pytest.raises(ModelError, match="frames"):
        load_user_model(tmp_path / "m.onnx")
